package dev.gatehouse.shard;

/** A point-in-time view of one shard for operators: state, session progress and counters. */
public record ShardStatus(int id, String state, long seq, long latencyMs, int identifies, int resumes,
                          int lastCloseCode, int guilds, int guildsLoaded, long dispatches) {

    /** True once the shard has a session and receives dispatches. */
    public boolean ready() {
        return "READY".equals(state);
    }
}
