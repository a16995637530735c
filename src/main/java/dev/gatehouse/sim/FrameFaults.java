package dev.gatehouse.sim;

import java.util.List;

/**
 * Transport faults applied to every message of every connection, from configuration: messages fragmented into
 * WebSocket continuation frames, frames written slowly in pieces, and frames cut mid-way before the TCP
 * connection is dropped. {@link #NONE} sends every message as one whole frame.
 *
 * @param fragmentBytes   split each message into WebSocket frames (a first frame, then continuation frames) of at
 *                        most this many payload bytes, as Discord may; 0 sends each message as one frame
 * @param slowPieces      write each frame to the socket in this many pieces; 0 or 1 writes it at once
 * @param slowDelayMs     the pause between two pieces of a slow frame
 * @param partialEvery    cut every n-th message of a connection mid-frame and drop the TCP connection; 0 never,
 *                        else at least 2
 */
public record FrameFaults(int fragmentBytes, int slowPieces, int slowDelayMs, int partialEvery) {
    /** No transport faults. */
    public static final FrameFaults NONE = new FrameFaults(0, 0, 0, 0);

    /** The option names {@link #parse} understands. */
    static final List<String> OPTIONS = List.of("fragmentBytes", "slowPieces", "slowDelayMs", "partialEvery");

    /** Validates the ranges. */
    public FrameFaults {
        check("fragmentBytes", fragmentBytes, 0, 1 << 20);
        check("slowPieces", slowPieces, 0, 1000);
        check("slowDelayMs", slowDelayMs, 0, 60_000);
        if (partialEvery != 0) { // 1 would cut every Hello: no connection could ever identify
            check("partialEvery", partialEvery, 2, Integer.MAX_VALUE);
        }
    }

    private static void check(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("simulate: --" + name + " expects a whole number from " + min + " to "
                    + max + ", got " + value);
        }
    }

    /** True when some message will not go out as one whole frame written at once. */
    boolean any() {
        return fragmentBytes > 0 || slowPieces > 1 || partialEvery > 0;
    }

    /** This with one option set from its command-line value; the name is one of {@link #OPTIONS}. */
    FrameFaults with(String name, String value) {
        int v;
        try {
            v = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("simulate: --" + name + " expects a whole number, got '" + value + "'");
        }
        return switch (name) {
            case "fragmentBytes" -> new FrameFaults(v, slowPieces, slowDelayMs, partialEvery);
            case "slowPieces" -> new FrameFaults(fragmentBytes, v, slowDelayMs, partialEvery);
            case "slowDelayMs" -> new FrameFaults(fragmentBytes, slowPieces, v, partialEvery);
            case "partialEvery" -> new FrameFaults(fragmentBytes, slowPieces, slowDelayMs, v);
            default -> throw new IllegalArgumentException("simulate: unknown transport option --" + name);
        };
    }
}
