package dev.gatehouse.spi;

/**
 * One gateway dispatch as a controller sees it.
 *
 * @param shardId   the shard that received it
 * @param sessionId the gateway session ({@code ""} when unknown)
 * @param seq       its sequence number in the session
 * @param type      the dispatch type, e.g. {@code MESSAGE_CREATE} (Gatehouse's signals start with {@code GATEHOUSE_})
 * @param guildId   its guild, or 0
 * @param kind      for GUILD_CREATE/GUILD_DELETE: join, load, available, leave or unavailable; else {@code ""}
 * @param frame     the whole gateway frame {@code {op, s, t, d}} as UTF-8 JSON (a copy: the controller may keep it)
 */
public record DispatchEvent(int shardId, String sessionId, long seq, String type, long guildId, String kind, byte[] frame) {
}
