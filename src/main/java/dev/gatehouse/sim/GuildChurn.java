package dev.gatehouse.sim;

/**
 * How the simulated world's guild list changes over time while traffic runs: the bot joins new guilds (a
 * GUILD_CREATE nobody asked for), leaves some (GUILD_DELETE without {@code unavailable}), and guilds go through
 * outages (GUILD_DELETE {@code unavailable: true}, then GUILD_CREATE when they return). Joins above leaves grow
 * the guild count, which is what resharding reacts to.
 *
 * @param joinsPerMinute   new guilds per minute
 * @param leavesPerMinute  guilds left per minute
 * @param outagesPerMinute guilds going unavailable per minute
 * @param outageMs         how long one outage lasts
 */
public record GuildChurn(double joinsPerMinute, double leavesPerMinute, double outagesPerMinute, long outageMs) {

    /** A world whose guild list only changes on demand. */
    public static GuildChurn none() {
        return new GuildChurn(0, 0, 0, 10_000);
    }

    /** Checks the values and names the bad one. */
    public GuildChurn {
        if (joinsPerMinute < 0 || leavesPerMinute < 0 || outagesPerMinute < 0 || outageMs < 0) {
            throw new IllegalArgumentException("guild churn: rates and outageMs must be >= 0; got joins " + joinsPerMinute
                    + ", leaves " + leavesPerMinute + ", outages " + outagesPerMinute + ", outageMs " + outageMs);
        }
    }

    /** True when nothing changes over time. */
    public boolean isNone() {
        return joinsPerMinute == 0 && leavesPerMinute == 0 && outagesPerMinute == 0;
    }
}
