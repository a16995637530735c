package dev.gatehouse.control;

import dev.gatehouse.pipeline.DispatchSink;
import dev.gatehouse.pipeline.GuildKind;
import dev.gatehouse.pipeline.Session;

/**
 * The sink one shard set publishes into, whose target a reshard changes while the shards run: the ring in
 * normal operation, the hand-over's side during a reshard, nothing once the set is replaced. One volatile read
 * per dispatch.
 */
public final class SetSink implements DispatchSink {
    private volatile DispatchSink target;

    /** A sink publishing into {@code target} until told otherwise. */
    public SetSink(DispatchSink target) {
        this.target = target;
    }

    /** Where dispatches go now. */
    DispatchSink target() {
        return target;
    }

    /** From now on dispatches go to {@code next}. */
    void aim(DispatchSink next) {
        target = next;
    }

    /**
     * A sink that takes everything and keeps nothing: the replaced set's last dispatches (the new set has them),
     * counted into {@code discarded} (Gatehouse's own signals are no dispatches and are not counted).
     */
    static DispatchSink discard(java.util.concurrent.atomic.AtomicLong discarded) {
        return (shard, session, seq, type, guild, kind, buf, off, len, at) -> {
            if (!HandOver.signal(type)) {
                discarded.incrementAndGet();
            }
            return true;
        };
    }

    @Override
    public boolean tryPublish(int shardId, Session session, long seq, String type, long guildId, GuildKind kind, byte[] buf,
                              int off, int len, long receivedNanos) {
        return target.tryPublish(shardId, session, seq, type, guildId, kind, buf, off, len, receivedNanos);
    }
}
