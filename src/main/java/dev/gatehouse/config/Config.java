package dev.gatehouse.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The validated configuration of one Gatehouse process. Built by {@link ConfigLoader}; every field has been
 * checked, so the rest of the program never re-validates.
 */
public record Config(
        Secret discordToken,
        URI restUrl,
        String intents,
        int totalShards,
        int firstShardId,
        int lastShardId,
        boolean useOptimalLargeBotSharding,
        long spawnShardDelayMs,
        int shardsPerCluster,
        int maxClusters,
        ThreadKind clusterThreads,
        URI eventHandlerUrl,
        Secret eventHandlerSecret,
        int deliveryMaxQueued,
        Overflow deliveryOverflow,
        int deliveryBatchSize,
        int deliveryConnections,
        long deliveryTimeoutMs,
        boolean deliveryAfterState,
        String dbUrl,
        String dbUser,
        Secret dbPassword,
        int dbPoolSize,
        Path dbDataDir,
        int dbPort,
        int stateBatchMaxEvents,
        int ringSize,
        int demoShards,
        int demoGuilds,
        int demoEventsPerSecond,
        int statusIntervalSeconds,
        long durationSeconds,
        int apiPort,
        String apiBind,
        Secret apiSecret,
        long deliveryMaxQueuedBytes,
        long deliveryMaxSpilledBytes,
        Path deliverySpillDir,
        java.util.Set<String> deliveryEvents,
        java.util.Set<String> deliverySkipEvents,
        long gatewayMaxPausedMs,
        boolean filtersEditedMessages,
        java.util.Optional<Path> controllersDir,
        int apiMaxConnections,
        int apiMaxMembersPerRequest,
        long apiRequestDeadlineMs,
        int deliveryMaxBatchSize,
        long stateMaxJournalBytes,
        Path stateJournalDir,
        int deliveryDeadLetterRetentionDays,
        long gatewayMaxHeldBytes,
        Resharding resharding,
        Retries retries,
        Lingers lingers) {

    /**
     * Resharding keys: {@code reshard}, {@code reshardPercentage} and {@code reshard.*} (see config.properties).
     */
    public record Resharding(boolean automatic, int percentage, int guildsPerShard, long checkIntervalMs, int identifyReserve,
                             long settleMs) {
    }

    /**
     * The waits before trying again: {@code gateway.reconnectBackoffMs} and {@code gateway.maxReconnectBackoffMs}
     * (a shard's reconnect), {@code state.retryBackoffMs} and {@code state.maxRetryBackoffMs} (the state writer
     * while the database is down), in milliseconds.
     */
    public record Retries(long reconnectMs, long maxReconnectMs, long stateRetryMs, long maxStateRetryMs) {
    }

    /**
     * How long a consumer that keeps up waits for company before it acts on little: {@code state.lingerMs} (the state
     * writer, before a transaction of the few events that came) and {@code delivery.lingerMs} (a lane, before a POST
     * of fewer events than the bot asked for per batch), in milliseconds; 0 acts at once. {@code stateBusyMs}
     * ({@code state.busyLingerMs}): the state writer's linger once the rate is high (many events came during each of its
     * last two transactions), never below {@code stateMs}.
     */
    public record Lingers(long stateMs, long deliveryMs, long stateBusyMs) {
    }

    /**
     * The lingers, with a busy linger at or below {@code state.lingerMs} taken as {@code state.lingerMs} (no busy linger):
     * a configuration with a longer {@code state.lingerMs} than the busy linger's default starts as it did before the key.
     */
    private static Lingers lingers(long stateMs, long deliveryMs, long stateBusyMs) {
        return new Lingers(stateMs, deliveryMs, Math.max(stateMs, stateBusyMs));
    }

    /** Worker thread flavour of the clusters. */
    public enum ThreadKind { PLATFORM, VIRTUAL }

    /** What the delivery buffer does when {@code delivery.maxQueued} events wait. */
    public enum Overflow { BLOCK, DROP_OLDEST, DROP_NEWEST }

    /** True when no token is configured: the process runs the self-contained demo. */
    public boolean demo() {
        return !discordToken.isSet();
    }

    /** True when an external database is configured. */
    public boolean externalDatabase() {
        return !dbUrl.isEmpty();
    }

    /** A copy pointing at another REST base, used by the demo to aim at its simulator. */
    public Config withUpstream(URI rest, Secret token) {
        return new Config(token, rest, intents, totalShards, firstShardId, lastShardId, useOptimalLargeBotSharding,
                spawnShardDelayMs, shardsPerCluster, maxClusters, clusterThreads, eventHandlerUrl, eventHandlerSecret,
                deliveryMaxQueued, deliveryOverflow, deliveryBatchSize, deliveryConnections, deliveryTimeoutMs,
                deliveryAfterState, dbUrl, dbUser, dbPassword, dbPoolSize, dbDataDir, dbPort, stateBatchMaxEvents,
                ringSize, demoShards, demoGuilds, demoEventsPerSecond, statusIntervalSeconds, durationSeconds,
                apiPort, apiBind, apiSecret,
                deliveryMaxQueuedBytes, deliveryMaxSpilledBytes, deliverySpillDir, deliveryEvents, deliverySkipEvents,
                gatewayMaxPausedMs, filtersEditedMessages, controllersDir, apiMaxConnections, apiMaxMembersPerRequest, apiRequestDeadlineMs,
                deliveryMaxBatchSize,
                stateMaxJournalBytes, stateJournalDir, deliveryDeadLetterRetentionDays, gatewayMaxHeldBytes, resharding,
                retries, lingers);
    }

    /** A copy delivering to another bot endpoint, used by the demo to aim at its sample bot. */
    public Config withEventHandler(URI url, Secret secret) {
        return new Config(discordToken, restUrl, intents, totalShards, firstShardId, lastShardId,
                useOptimalLargeBotSharding, spawnShardDelayMs, shardsPerCluster, maxClusters, clusterThreads, url,
                secret, deliveryMaxQueued, deliveryOverflow, deliveryBatchSize, deliveryConnections,
                deliveryTimeoutMs, deliveryAfterState, dbUrl, dbUser, dbPassword, dbPoolSize, dbDataDir, dbPort,
                stateBatchMaxEvents, ringSize, demoShards, demoGuilds, demoEventsPerSecond, statusIntervalSeconds,
                durationSeconds, apiPort, apiBind, apiSecret, deliveryMaxQueuedBytes, deliveryMaxSpilledBytes, deliverySpillDir, deliveryEvents, deliverySkipEvents,
                gatewayMaxPausedMs, filtersEditedMessages, controllersDir, apiMaxConnections, apiMaxMembersPerRequest, apiRequestDeadlineMs,
                deliveryMaxBatchSize,
                stateMaxJournalBytes, stateJournalDir, deliveryDeadLetterRetentionDays, gatewayMaxHeldBytes, resharding,
                retries, lingers);
    }

    /** Builds and validates a configuration from resolved string values (every key of {@link Key#ALL} present). */
    static Config from(Map<String, String> v) {
        Values in = new Values(v);
        Config c = new Config(
                in.secret("discord.token"),
                in.url("rest.url", true),
                in.intents("intents"),
                in.integer("totalShards", 0, 1_000_000),
                in.integer("firstShardId", 0, 1_000_000),
                in.integer("lastShardId", -1, 1_000_000),
                in.bool("useOptimalLargeBotSharding"),
                in.integer("spawnShardDelay", 0, 3_600_000),
                in.integer("shardsPerCluster", 1, 10_000),
                in.integer("maxClusters", 1, 10_000),
                in.choice("clusters.threads", ThreadKind.class),
                in.url("eventHandler.url", false),
                in.secret("eventHandler.secret"),
                in.integer("delivery.maxQueued", 1, 100_000_000),
                in.choice("delivery.overflow", Overflow.class),
                in.integer("delivery.batchSize", 1, 10_000),
                in.integer("delivery.connections", 1, 256),
                in.integer("delivery.timeoutMs", 100, 600_000),
                in.bool("delivery.afterState"),
                in.jdbcUrl("db.url"),
                in.text("db.user", true),
                in.secret("db.password"),
                in.integer("db.poolSize", 1, 200),
                Path.of(in.text("db.dataDir", true)),
                in.integer("db.port", 0, 65_535),
                in.integer("state.batchMaxEvents", 1, 1_000_000),
                in.powerOfTwo("ring.size"),
                in.integer("demo.shards", 1, 1024),
                in.integer("demo.guilds", 1, 10_000_000),
                in.integer("demo.eventsPerSecond", 0, 10_000_000),
                in.integer("status.intervalSeconds", 0, 86_400),
                in.integer("duration", 0, 31_536_000),
                in.integer("api.port", 0, 65_535),
                in.text("api.bind", true),
                in.secret("api.secret"),
                in.lng("delivery.maxQueuedBytes", 1024, Long.MAX_VALUE),
                in.lng("delivery.maxSpilledBytes", 0, Long.MAX_VALUE),
                Path.of(in.text("delivery.spillDir", true)),
                in.types("delivery.events"),
                in.types("delivery.skipEvents"),
                in.integer("gateway.maxPausedMs", 1, 86_400_000),
                in.bool("filters.editedMessages"),
                java.util.Optional.of(in.text("controllers.dir", false)).filter(s -> !s.isEmpty()).map(Path::of),
                in.integer("api.maxConnections", 1, 1_000_000),
                in.integer("api.maxMembersPerRequest", 1, 100_000_000),
                in.lng("api.requestDeadlineMs", 100, 3_600_000),
                in.integer("delivery.maxBatchSize", 1, 10_000),
                in.lng("state.maxJournalBytes", 0, Long.MAX_VALUE),
                Path.of(in.text("state.journalDir", true)),
                in.integer("delivery.deadLetterRetentionDays", 0, 36_500),
                in.lng("gateway.maxHeldBytes", 1024, Long.MAX_VALUE),
                new Resharding(in.bool("reshard"), in.integer("reshardPercentage", 1, 100),
                        in.integer("reshard.guildsPerShard", 1, 1_000_000), in.minutesAsMs("reshard.checkIntervalMinutes", 10, 86_400_000),
                        in.integer("reshard.identifyReserve", 0, 1_000_000), in.lng("reshard.settleMs", 0, 600_000)),
                new Retries(in.lng("gateway.reconnectBackoffMs", 100, 600_000), in.lng("gateway.maxReconnectBackoffMs", 100, 3_600_000),
                        in.lng("state.retryBackoffMs", 1, 600_000), in.lng("state.maxRetryBackoffMs", 1, 3_600_000)),
                lingers(in.lng("state.lingerMs", 0, 1_000), in.lng("delivery.lingerMs", 0, 1_000),
                        in.lng("state.busyLingerMs", 0, 1_000)));
        c.checkTogether();
        return c;
    }

    private void checkTogether() {
        if (!deliveryEvents.isEmpty() && !deliverySkipEvents.isEmpty()) {
            throw new ConfigException("delivery.skipEvents", "cannot be set together with delivery.events (set one of the two)");
        }
        if (lastShardId >= 0 && lastShardId < firstShardId) {
            throw new ConfigException("lastShardId", "must be >= firstShardId (" + firstShardId + "), got " + lastShardId);
        }
        if (totalShards == 0 && (firstShardId > 0 || lastShardId >= 0)) {
            // a range is residues modulo totalShards: with Discord's recommendation, which can change between restarts,
            // the same range would hold other shards after a restart, and the processes' ranges could overlap or leave gaps
            throw new ConfigException(lastShardId >= 0 ? "lastShardId" : "firstShardId", "firstShardId=" + firstShardId
                    + (lastShardId >= 0 ? " and lastShardId=" + lastShardId : "") + " need a fixed totalShards, but totalShards is 0"
                    + " (Discord's recommendation, which can change between restarts and would move the shards each process runs);"
                    + " set totalShards to the count the processes split (the same in every process), or leave firstShardId=0 and"
                    + " lastShardId=-1 to run every shard in this process");
        }
        if (totalShards > 0 && lastShardId >= totalShards) {
            throw new ConfigException("lastShardId", "must be < totalShards (" + totalShards + "), got " + lastShardId);
        }
        if (totalShards > 0 && firstShardId >= totalShards) {
            throw new ConfigException("firstShardId", "must be < totalShards (" + totalShards + "), got " + firstShardId);
        }
        if (retries.maxReconnectMs() < retries.reconnectMs()) {
            throw new ConfigException("gateway.maxReconnectBackoffMs", "must be >= gateway.reconnectBackoffMs ("
                    + retries.reconnectMs() + "), got " + retries.maxReconnectMs());
        }
        if (retries.maxStateRetryMs() < retries.stateRetryMs()) {
            throw new ConfigException("state.maxRetryBackoffMs", "must be >= state.retryBackoffMs ("
                    + retries.stateRetryMs() + "), got " + retries.maxStateRetryMs());
        }
        if (!demo() && eventHandlerUrl == null) {
            throw new ConfigException("eventHandler.url", "is required when discord.token is set (the bot endpoint, http://...)");
        }
        if (apiPort > 0 && !apiSecret.isSet() && !loopback(apiBind)) {
            throw new ConfigException("api.secret", "is required when api.bind (" + apiBind
                    + ") reaches beyond loopback: every API client must send it as Authorization");
        }
        if (eventHandlerUrl != null && !eventHandlerSecret.isSet()) {
            throw new ConfigException("eventHandler.secret", "is required when eventHandler.url is set (the bot checks it)");
        }
        if (eventHandlerSecret.reveal().chars().anyMatch(c -> c < 0x20 || c == 0x7f || c > 0xff)) { // never shown
            throw new ConfigException("eventHandler.secret", "has a character an HTTP header cannot carry (a line break, a"
                    + " control character, or one beyond Latin-1): the Authorization header holds bytes, one per character");
        }
    }

    /** True when the API's bind address is a loopback address; an address that does not resolve is a config error. */
    private static boolean loopback(String bind) {
        try {
            return java.net.InetAddress.getByName(bind).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            throw new ConfigException("api.bind", "expected an address to listen on (127.0.0.1, 0.0.0.0, ...), got '" + bind + "'");
        }
    }

    /** Typed reads of the resolved values, each failing with a message that names its key. */
    private record Values(Map<String, String> v) {

        String text(String key, boolean required) {
            String s = v.get(key).strip();
            if (required && s.isEmpty()) {
                throw new ConfigException(key, "is required and may not be empty");
            }
            return s;
        }

        Secret secret(String key) {
            String s = v.get(key).strip();
            return s.isEmpty() ? Secret.NONE : new Secret(s);
        }

        int integer(String key, int min, int max) {
            return (int) lng(key, min, max);
        }

        long lng(String key, long min, long max) {
            String s = text(key, true);
            long n;
            try {
                n = Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new ConfigException(key, "expected a whole number from " + min + " to " + max + ", got '" + s + "'");
            }
            if (n < min || n > max) {
                throw new ConfigException(key, "expected a whole number from " + min + " to " + max + ", got " + n);
            }
            return n;
        }

        /**
         * A number of minutes, decimals allowed ({@code 0.01}), as whole milliseconds from {@code minMs} to {@code maxMs}.
         */
        long minutesAsMs(String key, long minMs, long maxMs) {
            String s = text(key, true);
            String expected = "expected minutes from " + minMs + " ms to " + maxMs / 60_000
                    + " minutes as a plain decimal (1.5; 0.01 is 600 ms)";
            if (!s.matches("[0-9]{1,9}(\\.[0-9]{1,9})?")) {
                throw new ConfigException(key, expected + ", got '" + s + "'");
            }
            double ms = Double.parseDouble(s) * 60_000;
            if (ms < minMs || ms > maxMs) {
                throw new ConfigException(key, expected + ", got " + s);
            }
            return Math.round(ms);
        }

        /** Dispatch type names separated by commas ({@code PRESENCE_UPDATE,TYPING_START}); empty for none. */
        java.util.Set<String> types(String key) {
            String s = text(key, false);
            java.util.Set<String> out = new java.util.LinkedHashSet<>();
            if (s.isEmpty()) {
                return java.util.Set.of();
            }
            for (String part : s.split(",")) {
                String t = part.strip();
                if (!t.matches("[A-Z][A-Z_]*")) {
                    throw new ConfigException(key, "expected dispatch types like MESSAGE_CREATE,PRESENCE_UPDATE, got '" + t + "'");
                }
                out.add(t);
            }
            return java.util.Set.copyOf(out);
        }

        int powerOfTwo(String key) {
            int n = integer(key, 2, 1 << 24);
            if (Integer.bitCount(n) != 1) {
                throw new ConfigException(key, "expected a power of two (1024, 8192, ...), got " + n);
            }
            return n;
        }

        boolean bool(String key) {
            String s = text(key, true).toLowerCase(java.util.Locale.ROOT);
            return switch (s) {
                case "true", "yes", "on", "1" -> true;
                case "false", "no", "off", "0" -> false;
                default -> throw new ConfigException(key, "expected true or false, got '" + s + "'");
            };
        }

        <E extends Enum<E>> E choice(String key, Class<E> type) {
            String s = text(key, true);
            StringBuilder names = new StringBuilder();
            for (E e : type.getEnumConstants()) {
                String name = e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
                if (name.equalsIgnoreCase(s)) {
                    return e;
                }
                names.append(names.isEmpty() ? "" : " or ").append(name);
            }
            throw new ConfigException(key, "expected " + names + ", got '" + s + "'");
        }

        URI url(String key, boolean required) {
            String s = text(key, required);
            if (s.isEmpty()) {
                return null;
            }
            try {
                URI u = new URI(s);
                if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                    throw new ConfigException(key, "expected an http:// or https:// URL with a host, got '" + s + "'");
                }
                return u;
            } catch (URISyntaxException e) {
                throw new ConfigException(key, "expected an http:// or https:// URL, got '" + s + "'");
            }
        }

        String jdbcUrl(String key) {
            String s = text(key, false);
            if (!s.isEmpty() && !s.startsWith("jdbc:postgresql://")) {
                throw new ConfigException(key, "expected jdbc:postgresql://host:port/database (or unset for the embedded server)");
            }
            return s;
        }

        String intents(String key) {
            String s = text(key, true);
            try {
                Long.parseLong(s);
                return s;
            } catch (NumberFormatException notNumber) {
                for (String part : s.split(",")) {
                    if (!part.strip().matches("[A-Z_]+")) {
                        throw new ConfigException(key, "expected a number or intent names like GUILDS,GUILD_MESSAGES, got '" + s + "'");
                    }
                }
                return s;
            }
        }
    }
}
