package dev.gatehouse.shard;

/**
 * A point-in-time view of one shard for operators: state, session progress and counters.
 *
 * @param session        Discord's session id, empty while the shard has none
 * @param lastCloseCode  the last close code the gateway sent, -1 for none
 * @param commandsQueued commands waiting for READY or for room in the send limit
 * @param readingPaused  true while the ring is full and the shard holds dispatches instead of reading its socket
 * @param pauses         times reading was paused for a full ring since start
 * @param loaded         READY with every guild it listed received (the shard's GATEHOUSE_SHARD_LOADED was sent)
 */
public record ShardStatus(int id, String state, String session, long seq, long latencyMs, int identifies, int resumes,
                          int lastCloseCode, int guilds, int guildsLoaded, long dispatches, int commandsQueued,
                          boolean readingPaused, long pauses, boolean loaded) {

    /** True once the shard has a session and receives dispatches. */
    public boolean ready() {
        return "READY".equals(state);
    }
}
