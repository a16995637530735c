package dev.gatehouse.pipeline;

/**
 * Where a shard publishes its dispatches: the {@link EventRing}, or a stage in front of it (a reshard's
 * hand-over). Never waits: false means "not taken now", and the shard holds the dispatch, pauses reading and
 * offers it again later, in order.
 */
public interface DispatchSink {
    /**
     * Takes one dispatch (copying what it keeps of {@code buf}) or returns false at once.
     *
     * @param guildId the guild it belongs to, or 0
     * @param kind    what a GUILD_CREATE or GUILD_DELETE means, as the shard knows ({@link GuildKind#NONE} otherwise)
     */
    boolean tryPublish(int shardId, Session session, long seq, String type, long guildId, GuildKind kind, byte[] buf, int off,
                       int len, long receivedNanos);
}
