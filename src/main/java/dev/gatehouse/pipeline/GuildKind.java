package dev.gatehouse.pipeline;

/**
 * What a GUILD_CREATE or GUILD_DELETE means, as the shard that received it knows: the {@code "kind"} of the
 * delivery envelope, so a bot can tell a guild it just joined from one sent at connect or after an outage.
 */
public enum GuildKind {
    /** Not a guild create or delete. */
    NONE(""),
    /** GUILD_CREATE of a guild the bot just joined (not in READY, not known from the state). */
    JOIN("join"),
    /** GUILD_CREATE of a guild READY listed: the initial load of a new session. */
    LOAD("load"),
    /** GUILD_CREATE of a guild that was in an outage (or unavailable in the state): it is back. */
    AVAILABLE("available"),
    /** GUILD_DELETE without {@code unavailable}: the bot left or was removed. */
    LEAVE("leave"),
    /** GUILD_DELETE with {@code unavailable: true}: a Discord outage, the guild comes back later. */
    UNAVAILABLE("unavailable");

    private final String wire;

    GuildKind(String wire) {
        this.wire = wire;
    }

    /** The envelope's value ({@code "join"}, ...); empty for {@link #NONE}. */
    public String wire() {
        return wire;
    }
}
