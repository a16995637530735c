package dev.gatehouse.sim;

import java.util.List;

/**
 * Settings of a simulator: where it listens, the world it builds, the traffic it sends, and the limits it
 * enforces as Discord does.
 *
 * @param port                loopback port, 0 picks a free one
 * @param shards              shard count /gateway/bot recommends
 * @param guilds              guilds in the world
 * @param maxMembers          largest guild; sizes are heavy-tailed below it (over 250 members is "large")
 * @param eventsPerSecond     traffic rate once started; 0 for none
 * @param seed                makes the world and the traffic reproducible
 * @param maxConcurrency      identify buckets reported by /gateway/bot and enforced
 * @param heartbeatIntervalMs Hello's heartbeat_interval; a client silent for 1.5 intervals + 1 s is closed (4009)
 * @param token               the bot token clients must present
 * @param recordTruth         keep every sent dispatch per session (tests), or only counts (benchmarks)
 * @param identifyIntervalMs  one identify per bucket per this many ms, else op 9 (Discord: 5000)
 * @param maxGuildsPerShard   more guilds on one shard closes its identify with 4011 (Discord: 2500)
 * @param privilegedIntents   whether the bot may ask for GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT (else 4014)
 * @param sessionLimits       resume window, daily session starts, all-member request interval
 * @param churn               guild joins, leaves and outages over time (none by default)
 * @param averageMembers      members per guild on average (log-normal, capped at maxMembers); 0 keeps the original
 *                            heavy tail of about 20 per guild
 */
public record SimOptions(int port, int shards, int guilds, int maxMembers, int eventsPerSecond, long seed,
                         int maxConcurrency, int heartbeatIntervalMs, String token, boolean recordTruth,
                         int identifyIntervalMs, int maxGuildsPerShard, boolean privilegedIntents,
                         SessionLimits sessionLimits, GuildChurn churn, int averageMembers) {

    /** Defaults of {@code gatehouse simulate}. */
    public static SimOptions defaults() {
        return new SimOptions(0, 4, 1000, 1000, 200, 1, 16, 41_250, "simulated-bot-token", true, 5000, 2500, true,
                SessionLimits.defaults(), GuildChurn.none(), 0);
    }

    public SimOptions withPort(int p) {
        return new SimOptions(p, shards, guilds, maxMembers, eventsPerSecond, seed, maxConcurrency, heartbeatIntervalMs,
                token, recordTruth, identifyIntervalMs, maxGuildsPerShard, privilegedIntents, sessionLimits, churn, averageMembers);
    }

    public SimOptions withWorld(int shardCount, int guildCount, int members) {
        return new SimOptions(port, shardCount, guildCount, members, eventsPerSecond, seed, maxConcurrency,
                heartbeatIntervalMs, token, recordTruth, identifyIntervalMs, maxGuildsPerShard, privilegedIntents, sessionLimits, churn, averageMembers);
    }

    public SimOptions withTraffic(int rate) {
        return new SimOptions(port, shards, guilds, maxMembers, rate, seed, maxConcurrency, heartbeatIntervalMs, token,
                recordTruth, identifyIntervalMs, maxGuildsPerShard, privilegedIntents, sessionLimits, churn, averageMembers);
    }

    public SimOptions withToken(String t) {
        return new SimOptions(port, shards, guilds, maxMembers, eventsPerSecond, seed, maxConcurrency, heartbeatIntervalMs,
                t, recordTruth, identifyIntervalMs, maxGuildsPerShard, privilegedIntents, sessionLimits, churn, averageMembers);
    }

    public SimOptions withTruth(boolean record) {
        return new SimOptions(port, shards, guilds, maxMembers, eventsPerSecond, seed, maxConcurrency, heartbeatIntervalMs,
                token, record, identifyIntervalMs, maxGuildsPerShard, privilegedIntents, sessionLimits, churn, averageMembers);
    }

    /** The protocol limits: identify buckets and interval, heartbeat interval, guilds per shard, privileged intents. */
    public SimOptions withLimits(int concurrency, int identifyMs, int heartbeatMs, int guildsPerShard, boolean privileged) {
        return new SimOptions(port, shards, guilds, maxMembers, eventsPerSecond, seed, concurrency, heartbeatMs, token,
                recordTruth, identifyMs, guildsPerShard, privileged, sessionLimits, churn, averageMembers);
    }

    /** The session lifetime and start limits. */
    public SimOptions withSessionLimits(SessionLimits limits) {
        return new SimOptions(port, shards, guilds, maxMembers, eventsPerSecond, seed, maxConcurrency, heartbeatIntervalMs,
                token, recordTruth, identifyIntervalMs, maxGuildsPerShard, privilegedIntents, limits, churn, averageMembers);
    }

    /** Members per guild on average (0: the original heavy tail); sizes stay capped at {@code maxMembers}. */
    public SimOptions withAverageMembers(int average) {
        return new SimOptions(port, shards, guilds, maxMembers, eventsPerSecond, seed, maxConcurrency, heartbeatIntervalMs,
                token, recordTruth, identifyIntervalMs, maxGuildsPerShard, privilegedIntents, sessionLimits, churn, average);
    }

    /** Guild joins, leaves and outages over time. */
    public SimOptions withChurn(GuildChurn c) {
        return new SimOptions(port, shards, guilds, maxMembers, eventsPerSecond, seed, maxConcurrency, heartbeatIntervalMs,
                token, recordTruth, identifyIntervalMs, maxGuildsPerShard, privilegedIntents, sessionLimits, c, averageMembers);
    }

    /**
     * Parses {@code --port=N --shards=N --guilds=N --maxMembers=N --averageMembers=N --eventsPerSecond=N --seed=N
     * --maxConcurrency=N --heartbeatInterval=MS --token=T --resumeWindow=MS --sessionStartLimit=N --joinsPerMinute=N
     * --leavesPerMinute=N --outagesPerMinute=N --outageMs=MS}.
     *
     * @throws IllegalArgumentException naming the bad option
     */
    public static SimOptions parse(List<String> args) {
        SimOptions o = defaults();
        int port = o.port, shards = o.shards, guilds = o.guilds, members = o.maxMembers, rate = o.eventsPerSecond;
        int mc = o.maxConcurrency, hb = o.heartbeatIntervalMs;
        long seed = o.seed;
        String token = o.token;
        SessionLimits limits = o.sessionLimits;
        GuildChurn churn = o.churn;
        int average = o.averageMembers;
        for (String a : args) {
            int eq = a.indexOf('=');
            if (!a.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("simulate: unexpected argument '" + a + "'; expected --option=value");
            }
            String k = a.substring(2, eq);
            String v = a.substring(eq + 1);
            switch (k) {
                case "port" -> port = number(k, v, 0, 65535);
                case "shards" -> shards = number(k, v, 1, 4096);
                case "guilds" -> guilds = number(k, v, 0, 10_000_000);
                case "maxMembers" -> members = number(k, v, 1, 1_000_000);
                case "averageMembers" -> average = number(k, v, 0, 1_000_000);
                case "eventsPerSecond" -> rate = number(k, v, 0, 10_000_000);
                case "seed" -> seed = number(k, v, 0, Integer.MAX_VALUE);
                case "maxConcurrency" -> mc = number(k, v, 1, 1024);
                case "heartbeatInterval" -> hb = number(k, v, 100, 600_000);
                case "token" -> token = v;
                case "resumeWindow" -> limits = limits.withResumeWindowMs(number(k, v, 0, 86_400_000));
                case "sessionStartLimit" -> limits = limits.withSessionStarts(number(k, v, 1, 1_000_000),
                        limits.sessionStartResetMs());
                case "joinsPerMinute" -> churn = new GuildChurn(number(k, v, 0, 1_000_000), churn.leavesPerMinute(),
                        churn.outagesPerMinute(), churn.outageMs());
                case "leavesPerMinute" -> churn = new GuildChurn(churn.joinsPerMinute(), number(k, v, 0, 1_000_000),
                        churn.outagesPerMinute(), churn.outageMs());
                case "outagesPerMinute" -> churn = new GuildChurn(churn.joinsPerMinute(), churn.leavesPerMinute(),
                        number(k, v, 0, 1_000_000), churn.outageMs());
                case "outageMs" -> churn = new GuildChurn(churn.joinsPerMinute(), churn.leavesPerMinute(),
                        churn.outagesPerMinute(), number(k, v, 0, 86_400_000));
                default -> throw new IllegalArgumentException("simulate: unknown option --" + k
                        + " (options: port, shards, guilds, maxMembers, averageMembers, eventsPerSecond, seed, maxConcurrency, heartbeatInterval, token,"
                        + " resumeWindow, sessionStartLimit, joinsPerMinute, leavesPerMinute, outagesPerMinute, outageMs)");
            }
        }
        return new SimOptions(port, shards, guilds, members, rate, seed, mc, hb, token, false, o.identifyIntervalMs,
                o.maxGuildsPerShard, o.privilegedIntents, limits, churn, average);
    }

    private static int number(String k, String v, int min, int max) {
        try {
            int n = Integer.parseInt(v.strip());
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("simulate: --" + k + " expects a whole number from " + min + " to " + max + ", got '" + v + "'");
        }
    }

    @Override
    public String toString() {
        return "SimOptions[port=" + port + ", shards=" + shards + ", guilds=" + guilds + ", maxMembers=" + maxMembers
                + ", eventsPerSecond=" + eventsPerSecond + ", seed=" + seed + ", maxConcurrency=" + maxConcurrency + "]";
    }
}
