package dev.gatehouse.pipeline;

import java.util.Map;

/**
 * What one consumer had already handled when the previous Gatehouse process stopped: per shard, a session
 * and the last sequence number done. A restarted shard resumes from the lowest mark of all consumers, so
 * Discord replays dispatches some consumer has seen; each consumer skips those at or below its own mark.
 * This is how a dispatch, identified by (shard, session, seq), is handled once across restarts.
 */
public final class Handled {
    /** One shard's mark: dispatches of {@code sessionId} up to {@code seq} are done. */
    public record Mark(String sessionId, long seq) {
    }

    private final Map<Integer, Mark> marks;

    public Handled(Map<Integer, Mark> marks) {
        this.marks = Map.copyOf(marks);
    }

    /** Nothing handled yet (a first start). */
    public static Handled none() {
        return new Handled(Map.of());
    }

    /** These marks, with {@code newer} taking a shard's place where it has one (a later point of the stream). */
    public Handled with(Map<Integer, Mark> newer) {
        if (newer.isEmpty()) {
            return this;
        }
        Map<Integer, Mark> all = new java.util.HashMap<>(marks);
        all.putAll(newer);
        return new Handled(all);
    }

    /** True when this dispatch was handled before the restart and must be skipped now. */
    public boolean covers(Dispatch d) {
        if (marks.isEmpty()) {
            return false;
        }
        Mark m = marks.get(d.shardId());
        return m != null && d.seq() <= m.seq() && d.session() != null && m.sessionId().equals(d.session().id());
    }
}
