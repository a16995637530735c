package dev.gatehouse.discord;

/** Discord snowflake ids: 64-bit, milliseconds since the Discord epoch in the top 42 bits. */
public final class Snowflake {
    /** 2015-01-01T00:00:00Z in Unix milliseconds. */
    public static final long DISCORD_EPOCH = 1_420_070_400_000L;

    private Snowflake() {
    }

    /** The shard a guild's events go to: {@code (guild_id >> 22) % num_shards}. */
    public static int shardOf(long guildId, int shardCount) {
        return (int) ((guildId >>> 22) % shardCount);
    }

    /** A snowflake for a Unix millisecond time, with worker/process/increment bits. */
    public static long at(long unixMillis, int increment) {
        return ((unixMillis - DISCORD_EPOCH) << 22) | (increment & 0x3FFFFF);
    }

    /** The Unix millisecond time a snowflake was made. */
    public static long unixMillis(long snowflake) {
        return (snowflake >>> 22) + DISCORD_EPOCH;
    }
}
