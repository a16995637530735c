package dev.gatehouse.spi;

import java.util.Optional;

/**
 * A user's override of Gatehouse behaviour. Every method has a default that changes nothing, so a controller
 * implements only what it needs. Implementations need a public no-argument constructor (ServiceLoader).
 */
public interface Controller {

    /** The name in logs and errors; the class name by default. */
    default String name() {
        return getClass().getName();
    }

    /**
     * Decides what happens to a dispatch before delivery: deliver it as is, drop it (the state still stores
     * it), deliver a rewritten frame, or route it to a destination the delivery target understands. Called on
     * the delivery thread, in per-shard order; several controllers apply in load order, each seeing the
     * previous one's result; the first drop wins.
     */
    default DispatchAction onDispatch(DispatchEvent event) {
        return DispatchAction.deliver();
    }

    /** Changes a shard's identify (presence, large_threshold). Called on the shard's thread: keep it quick. */
    default Identify onIdentify(Identify identify) {
        return identify;
    }

    /** Observes a shard's state change (CONNECTING, READY, RECONNECTING, ...). Called on a thread of its own. */
    default void onShardStatus(ShardState state) {
    }

    /** A delivery target replacing the HTTP POST to {@code eventHandler.url}; empty keeps HTTP. Asked once at start. */
    default Optional<DeliveryTarget> deliveryTarget() {
        return Optional.empty();
    }
}
