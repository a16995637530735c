package dev.gatehouse.config;

import java.util.List;
import java.util.Locale;

/**
 * One configuration key: its name, default (empty when unset), one line of meaning and whether its value
 * is a secret. The table of all keys is {@link #ALL}; {@code config.properties} documents the same set.
 */
public record Key(String name, String defaultValue, String meaning, boolean secret) {

    static Key of(String name, String defaultValue, String meaning) {
        return new Key(name, defaultValue, meaning, false);
    }

    static Key secret(String name, String meaning) {
        return new Key(name, "", meaning, true);
    }

    /** The environment variable that sets this key: {@code eventHandler.url} is {@code GATEHOUSE_EVENT_HANDLER_URL}. */
    public String envName() {
        StringBuilder b = new StringBuilder("GATEHOUSE_");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                b.append('_');
            } else if (Character.isUpperCase(c) && i > 0 && name.charAt(i - 1) != '.') {
                b.append('_').append(c);
            } else {
                b.append(Character.toUpperCase(c));
            }
        }
        return b.toString().toUpperCase(Locale.ROOT);
    }

    /** Every key Gatehouse knows; anything else in a file, the environment or the arguments is an error. */
    public static final List<Key> ALL = List.of(
            secret("discord.token", "Bot token. Unset: run the self-contained demo (simulator, sample bot)."),
            of("rest.url", "https://discord.com/api/v10", "Discord REST base URL (a REST proxy, or a standalone simulator)."),
            of("intents", "GUILDS,GUILD_MEMBERS,GUILD_VOICE_STATES,GUILD_PRESENCES,GUILD_MESSAGES,MESSAGE_CONTENT",
                    "Gateway intents: a number, or intent names separated by commas."),
            of("totalShards", "0", "Shard count of the bot; 0 takes Discord's recommendation from /gateway/bot."),
            of("reshard", "true", "Reshard by itself (guild count, Discord's recommendation, a 4011 close) with zero downtime."),
            of("reshardPercentage", "80", "Reshard when the guilds reach this percentage of totalShards x reshard.guildsPerShard."),
            of("reshard.guildsPerShard", "2500", "Guilds Discord lets one shard hold (2500); smaller values are for tests."),
            of("reshard.checkIntervalMinutes", "5", "How often the automatic reshard triggers are checked, in minutes; plain decimals allowed (0.01 is 600 ms; no 5d, 1e1)."),
            of("reshard.identifyReserve", "10", "Identifies of the daily session_start_limit a reshard must leave unused."),
            of("reshard.settleMs", "3000", "At the switch, the longest the old set is held while the new set catches up, in ms."),
            of("firstShardId", "0", "First shard this process runs."),
            of("lastShardId", "-1", "Last shard this process runs; -1 means totalShards - 1. A range short of every shard needs totalShards > 0."),
            of("useOptimalLargeBotSharding", "false", "Round totalShards up to a multiple of max_concurrency (large bot sharding)."),
            of("spawnShardDelay", "5000", "Milliseconds between two identifies of one max_concurrency bucket (Discord: 5000)."),
            of("shardsPerCluster", "16", "Shards owned by one cluster worker thread."),
            of("maxClusters", "64", "Most cluster worker threads; more shards than shardsPerCluster x maxClusters is an error."),
            of("clusters.threads", "platform", "Cluster worker threads: platform or virtual."),
            of("eventHandler.url", "", "The bot's HTTP endpoint that receives every event (required with discord.token): http:// (Gatehouse's own keep-alive client) or https:// (the JDK's HttpClient)."),
            secret("eventHandler.secret", "Sent as the Authorization header of every delivery (required with eventHandler.url)."),
            of("delivery.maxQueued", "100000", "Events held in memory while the bot is slow or down."),
            of("delivery.overflow", "block", "At the bound: block (backpressure, nothing lost), drop-oldest or drop-newest (counted, logged)."),
            of("delivery.batchSize", "1", "Events per POST: 1 sends one object (unless the bot asks for batches), more sends a JSON array of up to that many."),
            of("delivery.maxBatchSize", "1000", "Most events per POST a bot may ask for with its Gatehouse-Batch answer header (JSON arrays of what is waiting)."),
            of("delivery.connections", "4", "Parallel keep-alive connections to the bot; each shard always uses the same one."),
            of("delivery.timeoutMs", "10000", "Timeout of one POST to the bot, in milliseconds: the connect, the request and the answer together."),
            of("delivery.lingerMs", "1", "With batches (delivery.batchSize > 1 or the bot's Gatehouse-Batch): a lane with fewer events"
                    + " than a batch waits up to this for more before its POST; 0: POST at once. One event per POST: never waits."),
            of("delivery.afterState", "true", "Deliver an event only after the state writer stored it (false: the bot gets events while PostgreSQL is down)."),
            of("delivery.maxQueuedBytes", "268435456", "Bytes of events held in memory for the bot (with delivery.maxQueued, whichever is reached first); past it events spill to disk."),
            of("delivery.maxSpilledBytes", "10737418240", "Bytes of events kept in the durable spill while the bot is down; delivery.overflow applies only past it."),
            of("delivery.spillDir", "data/spill", "Directory of the durable spill (segment files per delivery connection); survives restarts."),
            of("delivery.events", "", "Dispatch types delivered to the bot, comma separated; empty delivers all (the state still stores every type)."),
            of("delivery.skipEvents", "", "Dispatch types not delivered to the bot, comma separated (not together with delivery.events)."),
            of("filters.editedMessages", "true", "Do not deliver a MESSAGE_UPDATE whose content did not change (embed unfurls); the state still applies it."),
            of("gateway.maxPausedMs", "120000", "How long a shard pauses reading for a full ring before it closes resumably (it resumes once there is room)."),
            of("gateway.maxHeldBytes", "16777216", "Bytes of dispatches a shard paused for a full ring holds at most (plus the frame crossing it); past it it closes resumably at once."),
            of("gateway.reconnectBackoffMs", "1000", "A shard's first reconnect waits a random time up to this; each further one 2^n"
                    + " times this (n up to 5, at most gateway.maxReconnectBackoffMs) plus up to this; after an invalid session 1 to 5 times this (at least 100)."),
            of("gateway.maxReconnectBackoffMs", "30000", "The longest wait before a shard reconnects (plus up to gateway.reconnectBackoffMs at random)."),
            of("controllers.dir", "", "Directory of controller jars (dev.gatehouse.spi, loaded with ServiceLoader); empty loads none."),
            of("db.url", "", "JDBC URL of an external PostgreSQL; unset runs the embedded server."),
            of("db.user", "postgres", "Database user."),
            secret("db.password", "Database password."),
            of("db.poolSize", "4", "Connections in the HikariCP pool."),
            of("db.dataDir", "data/postgres", "Data directory of the embedded PostgreSQL."),
            of("db.port", "0", "Port of the embedded PostgreSQL; 0 picks a free one."),
            of("state.batchMaxEvents", "2000", "Most events one state transaction covers (a transaction also ends at each Disruptor batch, at 20000 rows and at 16 MiB of payload)."),
            of("ring.size", "8192", "Slots of the Disruptor ring (a power of two)."),
            of("demo.shards", "4", "Demo: shards of the simulated bot."),
            of("demo.guilds", "3000", "Demo: synthetic guilds in the simulated world."),
            of("demo.eventsPerSecond", "500", "Demo: rate of the simulated traffic."),
            of("status.intervalSeconds", "5", "Seconds between two status lines; 0 turns them off."),
            of("duration", "0", "Seconds to run before a clean stop; 0 runs until stopped."),
            of("api.port", "8787", "Port of the HTTP API (commands, state reads, health, metrics, status page); 0 turns it off."),
            of("api.bind", "127.0.0.1", "Address the HTTP API listens on; beyond loopback api.secret is required."),
            secret("api.secret", "Every API route but /healthz and /readyz needs it as the Authorization header."),
            of("api.maxConnections", "1024", "Open API connections at most; a connection beyond them gets 503 and is closed."),
            of("api.maxMembersPerRequest", "100000", "Most members one POST /guilds/{id}/members/request answers (held in memory);"
                    + " beyond it 413, use GET /guilds/{id}/members."),
            of("api.requestDeadlineMs", "10000", "A request must arrive whole within this from its first byte (the first request"
                    + " from the connection's opening), or its connection is closed without an answer."),
            of("state.maxJournalBytes", "1073741824", "With delivery.afterState=false: bytes of events the state keeps on disk while"
                    + " PostgreSQL is down (the bot keeps getting them); past it the ring fills and the shards pause; 0: no journal."),
            of("state.retryBackoffMs", "500", "While PostgreSQL is down the state writer tries again after this, doubling each time."),
            of("state.lingerMs", "1", "When fewer than state.batchMaxEvents (at most half of ring.size) wait, the state writer waits up to this for more events before a transaction"
                    + " (a group commit: fewer, larger transactions for up to this much latency); 0: a transaction per arrival."),
            of("state.busyLingerMs", "4", "When 8 or more events came while the state writer wrote each of its last two transactions (the rate is"
                    + " high), it lingers up to this instead of state.lingerMs, for 64 events at most, and not at all when 64 wait already"
                    + " (at or below state.lingerMs: no busy linger; with state.lingerMs=0 it never lingers): larger transactions when the"
                    + " writer is busy, the short linger's latency while it keeps up."),
            of("state.maxRetryBackoffMs", "10000", "The longest wait between two tries of the state writer while PostgreSQL is down."),
            of("state.journalDir", "data/state-journal", "Directory of the state journal (segment files); emptied at start; one process's (a second one on it stops at start)."),
            of("delivery.deadLetterRetentionDays", "30", "Days a dead letter (an event the bot refused) is kept; older ones of this bot are"
                    + " deleted hourly; 0 keeps them for ever."));

    /** The key with this name, or null. */
    public static Key named(String name) {
        for (Key k : ALL) {
            if (k.name.equals(name)) {
                return k;
            }
        }
        return null;
    }
}
