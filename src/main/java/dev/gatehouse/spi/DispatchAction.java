package dev.gatehouse.spi;

/**
 * What a controller wants done with a dispatch.
 *
 * @param verdict     deliver, drop
 * @param frame       the frame to deliver instead of the original (a JSON object with op, s, t, d), or null to keep it
 * @param destination where to route it ({@link DeliveredEvent#destination()}); {@code ""} for the default
 */
public record DispatchAction(Verdict verdict, byte[] frame, String destination) {

    /** Deliver or not. */
    public enum Verdict { DELIVER, DROP }

    public DispatchAction {
        if (verdict == null || destination == null) {
            throw new IllegalArgumentException("a DispatchAction needs a verdict and a destination (\"\" for the default)");
        }
    }

    /** Deliver as is. */
    public static DispatchAction deliver() {
        return new DispatchAction(Verdict.DELIVER, null, "");
    }

    /** Do not deliver (the state still stores it). */
    public static DispatchAction drop() {
        return new DispatchAction(Verdict.DROP, null, "");
    }

    /** Deliver this frame instead of the original. */
    public static DispatchAction rewrite(byte[] frame) {
        return new DispatchAction(Verdict.DELIVER, frame.clone(), "");
    }

    /** Deliver to a named destination of the delivery target (HTTP adds it to the envelope as {@code "route"}). */
    public static DispatchAction routeTo(String destination) {
        return new DispatchAction(Verdict.DELIVER, null, destination);
    }
}
