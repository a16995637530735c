package dev.gatehouse.control;

import dev.gatehouse.pipeline.DispatchSink;
import dev.gatehouse.pipeline.GuildKind;
import dev.gatehouse.pipeline.Session;
import java.util.Map;

/**
 * After a restart that followed a reshard's switch: the dispatches of the new set's sessions that the hand-over
 * had decided not to pass on (the old set had delivered them, or they were the new set's own READY and
 * GUILD_CREATEs) come again when the sessions resume, and are dropped here, by (shard, session, seq).
 */
public final class SkipFilter implements DispatchSink {
    /** One shard's skipped seqs: ranges {@code [first, last]}, ascending, of {@code sessionId}. */
    public record Skips(String sessionId, long[] ranges) {
    }

    private final DispatchSink next;
    private final Map<Integer, Skips> skips;
    private final java.util.concurrent.atomic.AtomicLong skipped = new java.util.concurrent.atomic.AtomicLong();

    public SkipFilter(DispatchSink next, Map<Integer, Skips> skips) {
        this.next = next;
        this.skips = Map.copyOf(skips);
    }

    /** Gatehouse's own signals (GATEHOUSE_SHARD_LOADED, ...) carry the last seq but are no dispatch: never skipped. */
    static final String GATEHOUSE_SIGNAL = "GATEHOUSE_";

    @Override
    public boolean tryPublish(int shardId, Session session, long seq, String type, long guildId, GuildKind kind, byte[] buf,
                              int off, int len, long receivedNanos) {
        Skips s = skips.get(shardId);
        if (s != null && session != null && !type.startsWith(GATEHOUSE_SIGNAL) && s.sessionId().equals(session.id())
                && skipped(s.ranges(), seq)) {
            skipped.incrementAndGet();
            return true;
        }
        return next.tryPublish(shardId, session, seq, type, guildId, kind, buf, off, len, receivedNanos);
    }

    /** Dispatches dropped so far (received by the shards, never in the ring), for the shutdown summary. */
    long skipped() {
        return skipped.get();
    }

    static boolean skipped(long[] ranges, long seq) {
        int lo = 0, hi = ranges.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (seq < ranges[2 * mid]) {
                hi = mid - 1;
            } else if (seq > ranges[2 * mid + 1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }
}
