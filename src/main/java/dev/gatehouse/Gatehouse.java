package dev.gatehouse;

import dev.gatehouse.api.Api;
import dev.gatehouse.api.DispatchTap;
import dev.gatehouse.config.Config;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.control.Reshard;
import dev.gatehouse.control.ReshardSettings;
import dev.gatehouse.control.ReshardStatus;
import dev.gatehouse.control.SkipFilter;
import dev.gatehouse.delivery.Forwarder;
import dev.gatehouse.delivery.Overflow;
import dev.gatehouse.delivery.SpillOwner;
import dev.gatehouse.discord.GatewayBot;
import dev.gatehouse.discord.Intent;
import dev.gatehouse.pipeline.Controllers;
import com.lmax.disruptor.EventHandler;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.DispatchSink;
import dev.gatehouse.pipeline.EventRing;
import dev.gatehouse.pipeline.GatewayFilters;
import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.shard.Backoff;
import dev.gatehouse.shard.IdentifyQueue;
import dev.gatehouse.shard.ResumePoint;
import dev.gatehouse.shard.ShardManager;
import dev.gatehouse.shard.ShardPlan;
import dev.gatehouse.shard.ShardStatus;
import dev.gatehouse.state.ApplicationId;
import dev.gatehouse.state.Database;
import dev.gatehouse.state.EmbeddedPostgres;
import dev.gatehouse.state.IdentifyTurns;
import dev.gatehouse.state.SessionStore;
import dev.gatehouse.state.ShardGuilds;
import dev.gatehouse.state.ShardSets;
import dev.gatehouse.state.StateCache;
import dev.gatehouse.state.StateListener;
import dev.gatehouse.state.StateReads;
import dev.gatehouse.state.StateJournal;
import dev.gatehouse.state.StateWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One Gatehouse process, wired by hand in dependency order: database, Discord's /gateway/bot, the ring with
 * its two consumers (state writer, forwarder), then the shards. {@link #close()} takes it down in reverse,
 * flushing everything and leaving every session resumable.
 */
public final class Gatehouse implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Gatehouse.class.getName());

    private final Config config;
    private final EmbeddedPostgres embedded;
    private final Database database;
    private final StateWriter state;
    private final Forwarder delivery;
    private final AutoCloseable checkpoints;
    private final EventRing ring;
    /** Owns the shard sets: the running one, and a reshard's new one while it loads. */
    private final Reshard shards;
    private final Controllers controllers;
    private final StateReads reads;
    private final StateCache cache;
    private final ExecutorService readExecutor;
    private final Optional<Api> api;
    private final Optional<StateJournal> journal;
    /** The hold on delivery.spillDir (lock and owner), released after the forwarder closed its spills. */
    private final Optional<SpillOwner> spillOwner;
    private final long startedNanos = System.nanoTime();
    private boolean closed;

    /** How often the bot's acknowledgements are saved: a crash re-delivers at most this much of the stream. */
    static final long CHECKPOINT_MS = 100;
    /**
     * How often the state checks the database's identity: a process whose writes never failed learns within this that
     * PostgreSQL came back empty and another process applied the schema, and reloads its shards (one query each time).
     */
    static final long SCHEMA_CHECK_MS = 2_000;

    private Gatehouse(Config config, EmbeddedPostgres embedded, Database database, StateWriter state, Forwarder delivery,
                      AutoCloseable checkpoints, EventRing ring, Reshard shards, Controllers controllers,
                      StateReads reads, StateCache cache, ExecutorService readExecutor, Optional<Api> api,
                      Optional<StateJournal> journal, Optional<SpillOwner> spillOwner) {
        this.journal = journal;
        this.spillOwner = spillOwner;
        this.controllers = controllers;
        this.reads = reads;
        this.cache = cache;
        this.readExecutor = readExecutor;
        this.api = api;
        this.checkpoints = checkpoints;
        this.config = config;
        this.embedded = embedded;
        this.database = database;
        this.state = state;
        this.delivery = delivery;
        this.ring = ring;
        this.shards = shards;
    }

    /**
     * Starts everything. Settings that only prove wrong against Discord's answer (shard ranges, intents)
     * throw {@link ConfigException} before any shard connects.
     */
    public static Gatehouse start(Config config) throws Exception {
        long intents = intentsOf(config);
        String token = config.discordToken().reveal();
        GatewayBot bot = GatewayBot.fetch(config.restUrl(), token);
        int configured = config.totalShards() > 0 ? config.totalShards() : bot.shards();
        if (config.totalShards() == 0 && config.useOptimalLargeBotSharding()) {
            configured = (configured + bot.maxConcurrency() - 1) / bot.maxConcurrency() * bot.maxConcurrency();
        }
        plan(config, configured, configured); // a range that cannot fit any count is a configuration error before anything starts

        Controllers controllers = Controllers.none();
        if (config.controllersDir().isPresent()) {
            try {
                controllers = Controllers.load(config.controllersDir().get());
            } catch (Controllers.LoadException e) {
                throw new ConfigException("controllers.dir", e.getMessage());
            }
        }
        EmbeddedPostgres embedded = null;
        Database database = null;
        Forwarder delivery = null;
        AutoCloseable checkpoints = null;
        ExecutorService readExecutor = null;
        Reshard shardsStarted = null;
        Optional<SpillOwner> spillOwner = Optional.empty();
        Optional<StateJournal> journal = Optional.empty();
        try {
            String url = config.dbUrl();
            String user = config.dbUser();
            if (!config.externalDatabase()) {
                embedded = EmbeddedPostgres.start(config.dbDataDir(), config.dbPort());
                embedded.createDatabase("gatehouse");
                url = embedded.jdbcUrl("gatehouse");
                user = embedded.user();
            }
            database = Database.open(url, user, config.dbPassword().reveal(), config.dbPoolSize());
            ApplicationId application = ApplicationId.fromToken(token);
            ShardPlan range = plan(config, configured, configured);
            ShardSets.Part part = range.split() ? new ShardSets.Part(range.modulus(), range.first(), range.last()) : ShardSets.Part.WHOLE;
            ShardSets shardSets = new ShardSets(database.dataSource(), application, part);
            int total = shardCount(shardSets, config, configured);
            ShardPlan plan = running(config, range, total);
            LOG.log(System.Logger.Level.INFO, "gateway " + bot.url() + ": " + total + " shards (Discord recommends " + bot.shards()
                    + "), max_concurrency " + bot.maxConcurrency() + ", " + bot.remaining() + " identifies left today");
            SessionStore sessions = new SessionStore(database.dataSource(), application);
            Map<Integer, SessionStore.Stored> stored = sessions.load();
            Map<Integer, ResumePoint> resumable = withGuilds(resumable(stored, plan, bot.url()),
                    new ShardGuilds(database.dataSource(), application));
            int identifying = plan.count() - resumable.size();
            if (bot.remaining() < identifying) {
                throw new IllegalStateException("Discord allows " + bot.remaining() + " more identifies today (session_start_limit),"
                        + " fewer than the " + identifying + " shards to identify; it resets in " + bot.resetAfterMs() / 1000 + " s");
            }
            Map<Integer, Handled.Mark> storedMarks = new HashMap<>();
            Map<Integer, Handled.Mark> deliveredMarks = new HashMap<>();
            for (SessionStore.Stored s : stored.values()) {
                storedMarks.put(s.shardId(), new Handled.Mark(s.session().id(), s.storedSeq()));
                deliveredMarks.put(s.shardId(), new Handled.Mark(s.session().id(), s.deliveredSeq()));
            }
            if (config.deliveryMaxSpilledBytes() > 0) {
                spillOwner = Optional.of(SpillOwner.claim(config.deliverySpillDir(), "application " + application.id()
                        + " on database " + database.identity()));
            }
            StateReads reads = new StateReads(database.dataSource());
            readExecutor = readExecutor(config.dbPoolSize());
            StateCache cache = new StateCache(reads, READ_CACHE_ENTRIES, readExecutor);
            StateWriter state = new StateWriter(database.dataSource(), config.stateBatchMaxEvents(), new Handled(storedMarks),
                    config.apiPort() > 0 ? cache : StateListener.NONE, // with the API off nobody reads the cache
                    application, config.retries().stateRetryMs(), config.retries().maxStateRetryMs());
            delivery = new Forwarder(new Forwarder.Settings(config.eventHandlerUrl(), config.eventHandlerSecret().reveal(),
                    config.deliveryMaxQueued(), config.deliveryMaxQueuedBytes(), config.deliverySpillDir(),
                    config.deliveryMaxSpilledBytes(), Overflow.valueOf(config.deliveryOverflow().name()),
                    config.deliveryBatchSize(), config.deliveryMaxBatchSize(), config.deliveryConnections(), config.deliveryTimeoutMs(),
                    config.lingers().deliveryMs()),
                    new Handled(deliveredMarks), database.dataSource(), new GatewayFilters(config.deliveryEvents(),
                    config.deliverySkipEvents(), config.filtersEditedMessages()), controllers, application.id(),
                    config.deliveryDeadLetterRetentionDays());
            AtomicReference<Reshard> resharding = new AtomicReference<>();
            Forwarder forwarder = delivery;
            checkpoints = sessions.checkpointEvery(CHECKPOINT_MS, () -> withoutRetired(forwarder.done(), resharding.get()));
            DispatchTap tap = new DispatchTap();
            // with afterState=false the bot need not wait for PostgreSQL: the journal keeps the state's events meanwhile
            journal = !config.deliveryAfterState() && config.stateMaxJournalBytes() > 0
                    ? Optional.of(new StateJournal(state, config.stateJournalDir(), config.stateMaxJournalBytes()))
                    : Optional.empty();
            EventRing ring = new EventRing(config.ringSize(), journal.<EventHandler<Dispatch>>map(j -> j).orElse(state), delivery,
                    config.deliveryAfterState(), List.of(tap), config.lingers().stateMs(), config.stateBatchMaxEvents());
            ring.stateBusyLinger(config.lingers().stateBusyMs());
            IdentifyQueue.Ledger turns = identifyTurns(new IdentifyTurns(database.dataSource(), application));
            Controllers loadedControllers = controllers;
            Reshard.Sets sets = (p, sink, gateway, resume, shardingRequired) -> new ShardManager(p, sink, token, intents, gateway,
                    () -> GatewayBot.fetch(config.restUrl(), token), config.spawnShardDelayMs(),
                    config.clusterThreads() == Config.ThreadKind.VIRTUAL, resume, turns, config.gatewayMaxPausedMs(),
                    config.gatewayMaxHeldBytes(), loadedControllers, shardingRequired,
                    new Backoff(config.retries().reconnectMs(), config.retries().maxReconnectMs()));
            Config.Resharding r = config.resharding();
            Reshard shards = new Reshard(plan, bot, resumable, ring, firstSink(ring, shardSets, resumable), sets,
                    (count, started) -> shardSets.switchTo(count, started.stream().map(x -> new ShardSets.Start(x.shardId(),
                            x.session(), x.mark(), x.skipRanges())).toList()),
                    () -> GatewayBot.fetch(config.restUrl(), token),
                    () -> ring.backlog() == 0 && forwarder.queued() == 0,
                    new ReshardSettings(r.automatic(), r.percentage(), r.guildsPerShard(), r.checkIntervalMs(), r.identifyReserve(),
                            r.settleMs(), config.useOptimalLargeBotSharding()),
                    plan.split() ? new ReshardPeers(new dev.gatehouse.state.ReshardRuns(database.dataSource(), application, plan.modulus()),
                            shardSets, ProcessHandle.current().pid() + ":" + java.util.UUID.randomUUID()) : Reshard.Peers.ALONE);
            resharding.set(shards);
            shardsStarted = shards;
            // the schema was lost: the CURRENT shard set re-identifies (a reshard may have replaced the first one)
            state.onSchemaLost(() -> shards.shards().reidentifyAll());
            state.watchSchema(SCHEMA_CHECK_MS);
            Optional<Api> api = Optional.empty();
            if (config.apiPort() > 0) {
                api = Optional.of(Api.start(new Api.Settings(config.apiBind(), config.apiPort(), config.apiSecret().reveal(),
                        config.apiMaxConnections(), config.apiMaxMembersPerRequest(), config.apiRequestDeadlineMs()),
                        new Api.Parts(shards::shards, intents, state, reads, cache, readExecutor, delivery, ring, tap,
                                database.dataSource(), new Api.Resharding() {
                                    @Override
                                    public ReshardStatus status() {
                                        return shards.status();
                                    }

                                    @Override
                                    public ReshardStatus request(OptionalInt count) {
                                        return shards.request(count, "asked for through the HTTP API"
                                                + (count.isPresent() ? " (" + count.getAsInt() + " shards)" : ""));
                                    }

                                    @Override
                                    public void handUnsentCommandsTo(java.util.function.Consumer<Map<Integer, List<String>>> to) {
                                        shards.handUnsentCommandsTo(to);
                                    }
                                })));
            }
            return new Gatehouse(config, embedded, database, state, delivery, checkpoints, ring, shards, controllers, reads, cache,
                    readExecutor, api, journal, spillOwner);
        } catch (Exception | Error e) {
            if (shardsStarted != null) {
                shardsStarted.close();
                shardsStarted.shards().close();
            }
            if (readExecutor != null) {
                readExecutor.shutdownNow();
            }
            if (delivery != null) {
                delivery.close(0);
            }
            spillOwner.ifPresent(SpillOwner::close);
            journal.ifPresent(StateJournal::releaseDirectory);
            if (checkpoints != null) {
                checkpoints.close();
            }
            if (database != null) {
                database.close();
            }
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    /** Entries of the API's read cache (single entities: guilds, channels, users, members, messages). */
    static final long READ_CACHE_ENTRIES = 100_000;

    /**
     * The threads that run the API's database reads: half the pool (the state writer and the checkpoints need the
     * rest), with a bounded queue so that a flood of reads is refused (503) rather than held without end.
     */
    static ExecutorService readExecutor(int poolSize) {
        int threads = Math.max(1, poolSize / 2);
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(10_000),
                Thread.ofPlatform().name("gatehouse-reads-", 0).daemon(true).factory());
    }

    /**
     * Stored sessions of this process's shards that were identified at this gateway with the shard count it
     * runs now (the demo's simulator is a new gateway on every run: its old sessions are not resumed).
     */
    static Map<Integer, ResumePoint> resumable(Map<Integer, SessionStore.Stored> stored, ShardPlan plan, String gatewayUrl) {
        Map<Integer, ResumePoint> out = new HashMap<>();
        for (SessionStore.Stored s : stored.values()) {
            if (plan.holds(s.shardId()) && s.session().totalShards() == plan.total()
                    && s.session().gatewayUrl().equals(gatewayUrl)) {
                out.put(s.shardId(), new ResumePoint(s.session(), s.resumeSeq()));
            }
        }
        return out;
    }

    /**
     * This process's shards of {@code total}: firstShardId..lastShardId are residues modulo {@code modulus} (the
     * count the range was split of; {@code total} itself for a whole range); a range that does not fit is a
     * configuration error.
     */
    private static ShardPlan plan(Config config, int total, int modulus) {
        try {
            return ShardPlan.of(total, config.firstShardId(), config.lastShardId(), config.shardsPerCluster(), config.maxClusters(),
                    modulus);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("shards", e.getMessage());
        }
    }

    /**
     * This process's shards of {@code total}, the count it runs now (a reshard's may differ from the configured one):
     * a split range keeps its residues modulo the configured count; a whole range ({@code 0..C-1} of C, also when
     * lastShardId names C-1) stays whole, every shard of {@code total}, or a reshard's new shards would have no process.
     */
    static ShardPlan running(Config config, ShardPlan range, int total) {
        if (range.split()) {
            return plan(config, total, range.modulus());
        }
        if (config.lastShardId() >= 0 && total != range.total()) {
            LOG.log(System.Logger.Level.INFO, "shards: firstShardId=" + config.firstShardId() + " lastShardId=" + config.lastShardId()
                    + " is every shard of " + range.total() + "; running every shard of the " + total + " a reshard switched to, 0.."
                    + (total - 1));
        }
        try {
            return ShardPlan.of(total, 0, -1, config.shardsPerCluster(), config.maxClusters());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("shards", e.getMessage());
        }
    }

    /**
     * The shard count to run: the one a reshard recorded, unless the totalShards setting changed since (a changed
     * setting is the operator's new decision); recorded for the next start and for the state writer's sessions.
     */
    static int shardCount(ShardSets sets, Config config, int configured) throws java.sql.SQLException {
        int total = configured;
        java.util.Optional<ShardSets.Recorded> recorded = sets.recorded();
        if (recorded.isPresent() && recorded.get().configuredShards() == config.totalShards()
                && recorded.get().totalShards() != configured) {
            total = recorded.get().totalShards();
            LOG.log(System.Logger.Level.INFO, "shards: running the " + total + " shards a reshard switched to (totalShards="
                    + config.totalShards() + " would give " + configured + ")");
        }
        sets.record(total, config.totalShards(), ReshardPeers.PART_LEASE_MS);
        return total;
    }

    /**
     * Where the first shard set publishes: the ring, behind a filter of the seqs a reshard's hand-over did not pass
     * on when the sessions it left are resumed now (they come again from Discord).
     */
    private static DispatchSink firstSink(EventRing ring, ShardSets sets, Map<Integer, ResumePoint> resumable)
            throws java.sql.SQLException {
        Map<Integer, SkipFilter.Skips> skips = new HashMap<>();
        for (ShardSets.Skips s : sets.skips().values()) {
            ResumePoint r = resumable.get(s.shardId());
            if (r != null && r.session().id().equals(s.sessionId())) {
                skips.put(s.shardId(), new SkipFilter.Skips(s.sessionId(), s.ranges()));
            }
        }
        return skips.isEmpty() ? ring : new SkipFilter(ring, skips);
    }

    /** Delivery marks without those of sessions a reshard replaced (their rows now belong to the new set). */
    static Map<Integer, Handled.Mark> withoutRetired(Map<Integer, Handled.Mark> marks, Reshard reshard) {
        if (reshard == null) {
            return marks;
        }
        java.util.Set<String> retired = reshard.retiredSessions();
        if (retired.isEmpty()) {
            return marks;
        }
        Map<Integer, Handled.Mark> out = new HashMap<>(marks);
        out.values().removeIf(m -> retired.contains(m.sessionId()));
        return out;
    }

    /** The resume points with the guilds the state holds for their shards (a resume sends no GUILD_CREATE). */
    static Map<Integer, ResumePoint> withGuilds(Map<Integer, ResumePoint> points, ShardGuilds guilds) throws java.sql.SQLException {
        if (points.isEmpty()) {
            return points;
        }
        Map<Integer, ShardGuilds.Of> known = guilds.of(points.keySet());
        Map<Integer, ResumePoint> out = new HashMap<>();
        points.forEach((shard, p) -> {
            ShardGuilds.Of g = known.getOrDefault(shard, new ShardGuilds.Of(java.util.Set.of(), java.util.Set.of()));
            out.put(shard, new ResumePoint(p.session(), p.seq(), g.all(), g.unavailable()));
        });
        return out;
    }

    /** The database's identify turns as the shard layer's ledger. */
    static IdentifyQueue.Ledger identifyTurns(IdentifyTurns turns) {
        return new IdentifyQueue.Ledger() {
            @Override
            public long claim(int bucket, int maxConcurrency, long intervalMs) throws Exception {
                return turns.claim(bucket, maxConcurrency, intervalMs);
            }

            @Override
            public void sent(int bucket, int maxConcurrency) throws Exception {
                turns.sent(bucket, maxConcurrency);
            }
        };
    }

    /** The configured intents as bits; an unknown name is a configuration error. */
    static long intentsOf(Config config) {
        try {
            return Intent.parse(config.intents());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("intents", e.getMessage());
        }
    }

    /** The shard set that is the source of events now (a reshard replaces it). */
    public ShardManager shards() {
        return shards.shards();
    }

    /**
     * Starts a zero-downtime reshard to {@code shards} shards, or to what Discord recommends and the guild count
     * needs when empty; returns at once with where it stands ({@link #reshardStatus()} follows it). The HTTP API's
     * {@code POST /reshard} calls this.
     *
     * @throws IllegalArgumentException for a count below 1, the running count, or a shard range split over processes
     */
    public ReshardStatus reshard(OptionalInt shards) {
        return this.shards.request(shards, "asked for" + (shards.isPresent() ? " " + shards.getAsInt() + " shards" : ""));
    }

    /** The status line's part about a reshard in progress, empty when none runs. */
    private String resharding() {
        ReshardStatus r = shards.status();
        if (!r.running()) {
            return "";
        }
        return " | resharding " + r.fromShards() + " -> " + r.toShards() + ": " + r.phase() + ", new shards " + r.shardsReady()
                + "/" + r.toShards() + " ready, guilds " + r.guildsLoaded() + "/" + r.guilds() + " loaded";
    }

    /** Where resharding stands: idle, refused (and why), loading, switching, done or failed. */
    public ReshardStatus reshardStatus() {
        return shards.status();
    }

    /** Times the state writer lingered for company ({@code state.lingerMs}). */
    public long stateLingers() {
        return ring.stateLingers();
    }

    /** Of {@link #stateLingers}, those of the busy linger ({@code state.busyLingerMs}: the rate was high). */
    public long stateBusyLingers() {
        return ring.stateBusyLingers();
    }

    public StateWriter state() {
        return state;
    }

    public Forwarder delivery() {
        return delivery;
    }

    /** The controllers loaded from controllers.dir (none by default). */
    public Controllers controllers() {
        return controllers;
    }

    public Config config() {
        return config;
    }

    /** The HTTP API's base URL, when it is on ({@code api.port} not 0). */
    public Optional<String> apiUrl() {
        return api.map(Api::url);
    }

    /** The state's journal (with {@code delivery.afterState=false} and {@code state.maxJournalBytes} above 0). */
    public Optional<StateJournal> stateJournal() {
        return journal;
    }

    /** The state reads the API runs (their query counts show what the cache saved). */
    public StateReads reads() {
        return reads;
    }

    /** The API's read cache in front of {@link #reads()}. */
    public StateCache cache() {
        return cache;
    }

    /** Dispatches received by all shards so far. */
    public long dispatches() {
        long n = 0;
        for (ShardStatus s : shards().statuses()) {
            n += s.dispatches();
        }
        return n;
    }

    /**
     * Events that entered the ring so far (every shard set's dispatches and Gatehouse's signals): the status line's
     * rate, which a reshard must not move backwards as it does {@link #dispatches()} (the running set's counters).
     */
    public long eventsPublished() {
        return ring.published();
    }

    /** One line for operators: shards, guilds, events, rows, deliveries, queue. */
    public String statusLine(double eventsPerSecond) {
        List<ShardStatus> all = shards().statuses();
        int ready = 0, guilds = 0, loaded = 0;
        for (ShardStatus s : all) {
            ready += s.ready() ? 1 : 0;
            guilds += s.guilds();
            loaded += s.guildsLoaded();
        }
        return String.format("shards %d/%d ready | guilds %d/%d loaded | %.0f events/s | rows written %d | forwarded %d | queued %d%s",
                ready, all.size(), loaded, guilds, eventsPerSecond, state.rowsWritten(), delivery.delivered(),
                delivery.queued(), (delivery.spilledEvents() > 0 ? " | in spill " + delivery.spilledEvents() : "")
                        + (delivery.dropped() > 0 ? " | dropped " + delivery.dropped() : "")
                        + journal.filter(StateJournal::journaling).map(j -> " | state journal " + j.bytes() + " bytes").orElse("")
                        + resharding());
    }

    /**
     * Graceful stop: shards close with a resumable code, the ring drains into the database and the delivery
     * buffer, the forwarder delivers what it can within {@code drainMs}, then the database closes.
     * Returns a summary line.
     */
    public synchronized String close(long drainMs) {
        if (closed) {
            return "already stopped";
        }
        closed = true;
        api.ifPresent(Api::close);
        // one deadline for the whole stop: shards (in parallel, bounded inside), the ring, the bot's drain
        long deadline = System.nanoTime() + (drainMs + 5_000) * 1_000_000L;
        shards.close();
        shards.shards().close();
        long notReached = ring.shutdown(Math.max(0, Math.min(drainMs, (deadline - System.nanoTime()) / 1_000_000)));
        try {
            state.awaitShutdown(Math.max(0, Math.min(2_000, (deadline - System.nanoTime()) / 1_000_000)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        state.stop();
        journal.ifPresent(StateJournal::releaseDirectory); // the ring's shutdown released it already when it ran
        int left = delivery.close(Math.max(0, (deadline - System.nanoTime()) / 1_000_000 - 2_000));
        spillOwner.ifPresent(SpillOwner::close);
        try {
            checkpoints.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "sessions: last delivery checkpoint failed: " + e.getMessage());
        }
        if (left > 0) {
            LOG.log(System.Logger.Level.WARNING, "delivery: " + left + " events were still queued in memory for the bot at"
                    + " shutdown (no spill: delivery.maxSpilledBytes=0); the next start resumes from the last checkpoint and"
                    + " delivers them while Discord still holds them");
        }
        controllers.close();
        readExecutor.shutdownNow();
        database.close();
        if (embedded != null) {
            embedded.close();
        }
        double secs = (System.nanoTime() - startedNanos) / 1e9;
        long spilled = delivery.spilledEvents();
        if (spilled > 0) {
            LOG.log(System.Logger.Level.INFO, "delivery: " + spilled + " events wait in the spill (" + config.deliverySpillDir()
                    + "); the next start delivers them first, in order");
        }
        // received + signals = forwarded + filtered + replays + refused + dropped + undelivered (an event the bot took
        // but whose answer was lost is forwarded twice)
        return String.format("ran %.0f s: %d dispatches received and %d Gatehouse signals: %d events forwarded, %d filtered"
                        + " (delivery.events/skipEvents, unfurled edits, controllers), %d replays the bot already had,"
                        + " %d refused by the bot, %d dropped, %d undelivered at stop (%d of them in the spill);"
                        + " %d rows written in %d transactions%s",
                secs, dispatches() + shards.replacedDispatches() - shards.secondCopies(), delivery.signals(), delivery.delivered(),
                delivery.filtered(), delivery.replaysSkipped(),
                delivery.refused(), delivery.dropped(), left + notReached + spilled, spilled, state.rowsWritten(), state.flushes(),
                reshardCounts());
    }

    /**
     * The summary's part about resharding, empty without one: what all shard sets received, and how many of those were
     * second copies around a switch that never went into the ring (received counts what went in).
     */
    private String reshardCounts() {
        long copies = shards.secondCopies();
        if (shards.replacedDispatches() == 0) {
            return copies == 0 ? "" : "; " + dispatches() + " dispatches received in all, of which " + copies + " were second"
                    + " copies around a reshard's switch before the restart, not passed on (the other set's copy had reached"
                    + " the ring)";
        }
        return "; resharding: the shard sets received " + (dispatches() + shards.replacedDispatches()) + " dispatches in all ("
                + dispatches() + " the running set, " + shards.replacedDispatches() + " the sets it replaced), of which " + copies
                + " were second copies around a switch, not passed on (the events arrive on both sets and reach the ring once;"
                + " a new set's own READY and guild loads)";
    }

    @Override
    public void close() {
        close(10_000);
    }
}
