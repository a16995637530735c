package dev.gatehouse.control;

import dev.gatehouse.discord.GatewayBot;
import dev.gatehouse.pipeline.DispatchSink;
import dev.gatehouse.pipeline.Session;
import dev.gatehouse.shard.ResumePoint;
import dev.gatehouse.shard.ShardManager;
import dev.gatehouse.shard.ShardPlan;
import dev.gatehouse.shard.ShardStatus;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Owns the running shard set and replaces it without downtime: a reshard starts a second set with the new
 * count in the background (its identifies through the same identify queue rules), and once every new shard is
 * READY with all its guilds, {@link HandOver} switches exactly and the old set closes with 1000. One control
 * thread runs reshards and the trigger checks one at a time, so there is never more than one reshard.
 */
public final class Reshard implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Reshard.class.getName());

    /** How the process starts a shard set (the root wires the shard layer's {@link ShardManager}). */
    public interface Sets {
        /** Starts every shard of {@code plan} at {@code bot}'s gateway, publishing into {@code sink}. */
        ShardManager start(ShardPlan plan, DispatchSink sink, GatewayBot bot, Map<Integer, ResumePoint> resumable,
                           IntConsumer shardingRequired) throws Exception;
    }

    /** The database side of the switch (the root wires the state layer). */
    public interface Store {
        /**
         * In one transaction: the shard count becomes {@code totalShards}, every guild's shard follows it, and the
         * stored sessions are exactly {@code sessions}. A crash before it commits restarts the old set, after it the
         * new one.
         */
        void switchTo(int totalShards, List<NewSession> sessions) throws Exception;
    }

    /**
     * The other processes running this bot's shards, when the shards are split over processes (the root wires a
     * table in PostgreSQL): one process leads a reshard, the others follow it, each switching its own part.
     */
    public interface Peers {
        /** One process runs every shard: nobody to coordinate with. */
        Peers ALONE = new Peers() {
            @Override
            public int lead(int from, int to) {
                return to;
            }

            @Override
            public OptionalInt follow(int running) {
                return OptionalInt.empty();
            }

            @Override
            public void loading() {
            }

            @Override
            public void switched() {
            }

            @Override
            public void failed() {
            }
        };

        /** Opens the reshard of every process {@code from -> to}; the count of the one open already, if another leads. */
        int lead(int from, int to) throws Exception;

        /** The count of a reshard another process opened that this one has not followed yet. */
        OptionalInt follow(int running) throws Exception;

        /** This process's part of the reshard is still loading or switching (a leader's lease runs on). */
        void loading() throws Exception;

        /** This process's part switched. */
        void switched() throws Exception;

        /** This process's part failed or was refused. */
        void failed() throws Exception;
    }

    /** How often a process that splits the shards with others looks for a reshard another process opened. */
    static final long FOLLOW_POLL_MS = 500;

    /** Discord's {@code /gateway/bot}, asked again for each reshard (recommendation, session_start_limit). */
    public interface Discord {
        GatewayBot gatewayBot() throws Exception;
    }

    /**
     * A session of the new set at the switch.
     *
     * @param mark       a restart resumes it from here (READY and what the hand-over dropped right after it)
     * @param skipRanges seqs after {@code mark} the hand-over dropped, as ascending ranges {@code [first, last]}
     */
    public record NewSession(int shardId, Session session, long mark, long[] skipRanges) {
    }

    /** One running shard set and the sink it publishes into. */
    private record ShardSet(ShardPlan plan, ShardManager manager, SetSink sink) {
    }

    private final DispatchSink ring;
    private final Sets sets;
    private final Store store;
    private final Discord discord;
    private final BooleanSupplier consumersCaughtUp;
    private final ReshardSettings settings;
    private final Peers peers;
    private final int shardsPerCluster;
    private final int maxClusters;
    private final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("gatehouse-reshard").daemon(true).factory());
    private volatile ShardSet current;
    private volatile ShardSet loading;
    private volatile ReshardStatus status;
    private volatile boolean closed;
    private final Set<String> retired = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Dispatches received by shard sets a switch replaced (their counters leave with them). */
    private final java.util.concurrent.atomic.AtomicLong replacedDispatches = new java.util.concurrent.atomic.AtomicLong();
    /**
     * Dispatches the sets of completed reshards received that never went into the ring: second copies of events around
     * a switch (the new set's copies of what the old set delivered, its READYs and guild loads) and the replaced
     * set's last dispatches after it.
     */
    private final java.util.concurrent.atomic.AtomicLong secondCopies = new java.util.concurrent.atomic.AtomicLong();
    /** After a restart past a switch: the filter dropping what the hand-over had left to the other set. */
    private final java.util.Optional<SkipFilter> resumedSkips;

    /** Where the old set's unsent commands go at a switch; see {@link #handUnsentCommandsTo}. */
    private volatile java.util.function.Consumer<Map<Integer, List<String>>> unsentCommands = unsent -> { };

    /**
     * Starts the first shard set.
     *
     * @param ring              the event ring
     * @param firstSink         where the first set publishes (the ring, or a skip filter after a restart past a switch)
     * @param consumersCaughtUp true when the state writer and the forwarder have taken everything published
     *                          (ring empty, nothing held only in memory): the old set's events are safe
     */
    public Reshard(ShardPlan plan, GatewayBot bot, Map<Integer, ResumePoint> resumable, DispatchSink ring, DispatchSink firstSink, Sets sets,
                   Store store, Discord discord, BooleanSupplier consumersCaughtUp, ReshardSettings settings, Peers peers)
            throws Exception {
        this.ring = ring;
        this.sets = sets;
        this.store = store;
        this.discord = discord;
        this.consumersCaughtUp = consumersCaughtUp;
        this.settings = settings;
        this.peers = peers;
        this.shardsPerCluster = plan.shardsPerCluster();
        this.maxClusters = plan.maxClusters();
        this.resumedSkips = firstSink instanceof SkipFilter f ? java.util.Optional.of(f) : java.util.Optional.empty();
        SetSink sink = new SetSink(firstSink);
        current = new ShardSet(plan, sets.start(plan, sink, bot, resumable, shard -> shardingRequired(plan.total(), shard)), sink);
        status = new ReshardStatus("idle", plan.total(), 0, 0, 0, 0, "");
        if (settings.automatic()) {
            control.scheduleWithFixedDelay(this::check, settings.checkIntervalMs(), settings.checkIntervalMs(), TimeUnit.MILLISECONDS);
        }
        if (plan.split()) {
            control.scheduleWithFixedDelay(this::follow, FOLLOW_POLL_MS, FOLLOW_POLL_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** The shard set that is the source of events now. */
    public ShardManager shards() {
        return current.manager();
    }

    /** The shard count running now. */
    public int totalShards() {
        return current.plan().total();
    }

    /** Where resharding stands. */
    public ReshardStatus status() {
        ShardSet l = loading;
        ReshardStatus s = status;
        if (l != null && "loading".equals(s.phase())) {
            int ready = 0, loaded = 0, guilds = 0;
            for (ShardStatus x : l.manager().statuses()) {
                ready += x.ready() ? 1 : 0;
                loaded += x.guildsLoaded();
                guilds += x.guilds();
            }
            return new ReshardStatus(s.phase(), s.fromShards(), s.toShards(), ready, loaded, guilds, s.detail());
        }
        return s;
    }

    /** Dispatches received by shard sets a switch replaced, for the shutdown summary. */
    public long replacedDispatches() {
        return replacedDispatches.get();
    }

    /**
     * Of the dispatches every shard set received, those a completed reshard did not pass on because the event
     * reached the ring through the other set (or was a set's own READY and guild load), and, after a restart past a
     * switch, those the resumed sessions' filter dropped for the same reason: received minus this is what went into
     * the ring.
     */
    public long secondCopies() {
        return secondCopies.get() + resumedSkips.map(SkipFilter::skipped).orElse(0L);
    }

    /** Sessions of replaced sets: their delivery checkpoints no longer count. */
    public Set<String> retiredSessions() {
        return Set.copyOf(retired);
    }

    /**
     * Asks for a reshard to {@code shards} (or, when empty, to what Discord recommends and the guild count needs,
     * at least one more than now). Returns at once: the status says whether it started, or why not.
     *
     * @throws IllegalArgumentException for a count that is not a whole number above 0 or equals the running one
     */
    public ReshardStatus request(OptionalInt shards, String reason) {
        if (shards.isPresent() && shards.getAsInt() < 1) {
            throw new IllegalArgumentException("shards must be at least 1, got " + shards.getAsInt());
        }
        if (shards.isPresent() && shards.getAsInt() == totalShards()) {
            throw new IllegalArgumentException("the bot already runs " + shards.getAsInt() + " shards");
        }
        ShardPlan plan = current.plan();
        if (shards.isPresent() && plan.split() && shards.getAsInt() % plan.modulus() != 0) {
            throw new IllegalArgumentException("this process runs shards " + plan.describe() + "; processes that split a shard range"
                    + " reshard to multiples of " + plan.modulus() + " (the totalShards their ranges are of), and "
                    + shards.getAsInt() + " is not one");
        }
        if (shards.isPresent()) {
            int least = leastShards(plan);
            if (shards.getAsInt() < least) {
                throw new IllegalArgumentException(shards.getAsInt() + " shards cannot hold the bot's guilds: Discord lets a shard hold "
                        + settings.guildsPerShard() + " (reshard.guildsPerShard), so at least " + least + " shards are needed");
            }
        }
        synchronized (this) {
            if (status.running()) {
                return status;
            }
            status = new ReshardStatus("loading", totalShards(), shards.orElse(0), 0, 0, 0, "starting: " + reason);
        }
        control.execute(() -> run(shards, reason, false));
        return status;
    }

    /**
     * The fewest shards that can hold the bot's guilds as far as this process knows them (its own shards' guilds,
     * scaled to the whole bot when it runs part of a split range), or 1 while a shard of the set is not ready yet and
     * its guild count is unknown. A smaller set would only be closed with 4011 (sharding required).
     */
    private int leastShards(ShardPlan plan) {
        long guilds = 0;
        for (ShardStatus s : current.manager().statuses()) {
            if (!s.ready()) {
                return 1;
            }
            guilds += s.guilds();
        }
        long wholeBot = guilds * totalShards() / Math.max(1, plan.count());
        return (int) Math.max(1, (wholeBot + settings.guildsPerShard() - 1) / settings.guildsPerShard());
    }

    /**
     * A shard of the set of {@code setTotal} shards was closed with 4011: more shards are needed, unless that set was
     * replaced meanwhile (its other shards' 4011s are answered by the reshard already done). Cluster thread: hands
     * off at once.
     */
    private void shardingRequired(int setTotal, int shardId) {
        if (closed) {
            return;
        }
        control.execute(() -> {
            if (!status.running() && setTotal == totalShards()) {
                int next = Math.max(totalShards() * 2, 1);
                LOG.log(System.Logger.Level.WARNING, "reshard: shard " + shardId + " was closed with 4011 (sharding required);"
                        + " resharding to " + next + " shards");
                requestNow(OptionalInt.of(next), "shard " + shardId + " closed with 4011 (sharding required)");
            }
        });
    }

    private void requestNow(OptionalInt shards, String reason) {
        requestNow(shards, reason, false);
    }

    private void requestNow(OptionalInt shards, String reason, boolean following) {
        synchronized (this) {
            if (status.running()) {
                return;
            }
            status = new ReshardStatus("loading", totalShards(), shards.orElse(0), 0, 0, 0, "starting: " + reason);
        }
        run(shards, reason, following);
    }

    /** Control thread, when the shards are split over processes: follows a reshard another process opened. */
    private void follow() {
        if (closed || status.running()) {
            return;
        }
        try {
            OptionalInt to = peers.follow(totalShards());
            if (to.isPresent()) {
                requestNow(to, "following the reshard to " + to.getAsInt() + " shards another process started", true);
            }
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "reshard: cannot read whether another process started a reshard (" + e.getMessage()
                    + "); looking again in " + FOLLOW_POLL_MS + " ms");
        }
    }

    /** The automatic triggers: the guild count against reshardPercentage, and Discord's recommendation. */
    private void check() {
        if (closed || status.running()) {
            return;
        }
        try {
            int total = totalShards();
            long guilds = 0;
            for (ShardStatus s : current.manager().statuses()) {
                if (!s.ready()) {
                    return; // a set still identifying (a start, a re-identify): its guild count is not known yet
                }
                guilds += s.guilds();
            }
            long threshold = (long) current.plan().count() * settings.guildsPerShard() * settings.percentage() / 100;
            if (guilds >= threshold) {
                requestNow(OptionalInt.empty(), guilds + " guilds reached reshardPercentage " + settings.percentage() + "% of "
                        + total + " shards x " + settings.guildsPerShard() + " guilds (" + threshold + ")");
                return;
            }
            GatewayBot bot = discord.gatewayBot();
            if (bot.shards() > total) {
                requestNow(OptionalInt.empty(), "Discord recommends " + bot.shards() + " shards, " + total + " run");
            }
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "reshard: trigger check failed (" + e.getMessage() + "); checking again in "
                    + settings.checkIntervalMs() + " ms");
        }
    }

    /** The shard count a reshard without a given count goes to. */
    private int target(GatewayBot bot) {
        long guilds = 0;
        for (ShardStatus s : current.manager().statuses()) {
            guilds += s.guilds();
        }
        // the smallest count whose capacity at reshardPercentage holds the guilds with room to grow
        long perShard = Math.max(1, (long) settings.guildsPerShard() * settings.percentage() / 100);
        // of a split range, this process's guilds stand for the whole bot's in the proportion of its shards
        long all = guilds * totalShards() / Math.max(1, current.plan().count());
        int needed = (int) Math.min(Integer.MAX_VALUE, all / perShard + 1);
        return Math.max(Math.max(bot.shards(), needed), totalShards() + 1);
    }

    /** The smallest count of at least {@code to} that is a multiple of every one of {@code steps}. */
    static int roundUp(int to, int... steps) {
        long step = 1;
        for (int s : steps) {
            step = step / gcd(step, s) * s;
        }
        return (int) Math.min(Integer.MAX_VALUE, (to + step - 1) / step * step);
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /**
     * Control thread: one whole reshard of this process's shards; when the shards are split over processes, led by
     * this one ({@code following} false: it opens the reshard for the others) or following another's.
     */
    private void run(OptionalInt requested, String reason, boolean following) {
        ShardSet old = current;
        int from = old.plan().total();
        GatewayBot bot;
        try {
            bot = discord.gatewayBot();
        } catch (Exception e) {
            refuse(from, requested.orElse(0), "cannot ask Discord for /gateway/bot (" + e.getMessage() + "); retrying at the next check");
            return;
        }
        int to = requested.isPresent() ? requested.getAsInt() : target(bot);
        int concurrency = settings.optimalSharding() ? Math.max(1, bot.maxConcurrency()) : 1;
        ShardPlan was = old.plan();
        // a split range keeps its residues: the new count is a multiple of the count the ranges are of
        to = roundUp(to, concurrency, was.split() ? was.modulus() : 1);
        if (bot.remaining() < (long) to + settings.identifyReserve()) {
            refuseTogether(from, to, "Discord allows " + bot.remaining() + " more identifies today (session_start_limit), fewer than the "
                    + to + " new shards plus reshard.identifyReserve " + settings.identifyReserve() + "; it resets in "
                    + bot.resetAfterMs() / 1000 + " s; the " + from + " running shards are untouched, retrying at the next check");
            return;
        }
        if (was.split() && !following) {
            int open;
            try {
                open = peers.lead(from, to);
            } catch (Exception e) {
                refuse(from, to, "cannot open the reshard for the other processes (" + e.getMessage() + "); retrying at the next check");
                return;
            }
            if (open != to) {
                LOG.log(System.Logger.Level.INFO, "reshard: another process started a reshard to " + open + " shards; following it");
                to = open;
            }
        }
        if (to == from) {
            status = new ReshardStatus("done", from, to, to, 0, 0, reason + "; this process runs " + to + " shards already");
            return;
        }
        ShardPlan plan;
        try {
            plan = was.split() ? ShardPlan.of(to, was.first(), was.last(), shardsPerCluster, maxClusters, was.modulus())
                    : ShardPlan.of(to, 0, -1, shardsPerCluster, maxClusters);
        } catch (IllegalArgumentException e) {
            refuseTogether(from, to, e.getMessage());
            return;
        }
        LOG.log(System.Logger.Level.INFO, "reshard: " + from + " -> " + to + " shards (" + reason + "); the new set identifies and"
                + " loads in the background while the " + from + " running shards keep delivering");
        status = new ReshardStatus("loading", from, to, 0, 0, 0, reason);
        DispatchSink before = old.sink().target();
        Map<Integer, Boolean> served = new java.util.concurrent.ConcurrentHashMap<>();
        for (ShardStatus x : old.manager().statuses()) {
            served.put(x.id(), !x.session().isEmpty()); // a shard closed with 4011 at its identify never had one
        }
        HandOver handOver = new HandOver(before, ring, from, shard -> served.getOrDefault(shard, false));
        SetSink newSink = new SetSink(handOver.newSide);
        old.sink().aim(handOver.oldSide);
        ShardSet next;
        try {
            next = new ShardSet(plan, sets.start(plan, newSink, bot, Map.of(), shard -> shardingRequired(plan.total(), shard)), newSink);
        } catch (Exception e) {
            old.sink().aim(before);
            fail(from, to, "cannot start the new shard set: " + e.getMessage());
            tellFailed();
            return;
        }
        loading = next;
        try {
            if (!awaitLoaded(next, old)) {
                boolean tooFew = !closed && next.manager().statuses().stream()
                        .anyMatch(x -> x.lastCloseCode() == dev.gatehouse.discord.CloseCode.SHARDING_REQUIRED.code());
                abort(old, next, before, handOver, from, to, closed ? "Gatehouse is stopping"
                        : "a shard of the new set stopped (" + stoppedShard(next) + ")");
                if (tooFew) {
                    // Discord wants more shards than the new count: try again with twice as many
                    requestNow(OptionalInt.of(to * 2), "the new set of " + to + " shards got 4011 (sharding required)");
                }
                return;
            }
            status = new ReshardStatus("switching", from, to, to, 0, 0, reason);
            long held = System.nanoTime();
            handOver.hold();
            long settleEnd = held + settings.settleMs() * 1_000_000L;
            while (handOver.guildsBehind() > 0 && System.nanoTime() < settleEnd) {
                renewLease(); // the switch may take long (settleMs, a slow bot): the other processes must not take over
                sleep(10);
            }
            int behind = handOver.guildsBehind();
            long caughtUp = System.nanoTime();
            while (!consumersCaughtUp.getAsBoolean() && !closed) {
                renewLease();
                sleep(5);
            }
            long drained = System.nanoTime();
            List<NewSession> sessions = handOver.sessions();
            Set<String> oldSessions = new HashSet<>(handOver.oldSessions());
            for (ShardStatus x : old.manager().statuses()) {
                if (!x.session().isEmpty()) {
                    oldSessions.add(x.session());
                }
            }
            retired.addAll(oldSessions); // before the commit: no checkpoint of theirs may land on the new rows
            try {
                store.switchTo(to, sessions);
            } catch (Exception e) {
                retired.removeAll(oldSessions);
                throw e;
            }
            long committed = System.nanoTime();
            current = next;
            loading = null;
            try {
                peers.switched();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "reshard: switched, but cannot record it for the other processes yet ("
                        + e.getMessage() + "); retrying with a growing wait");
            }
            handBackUnsentCommands(old);
            handOver.goLive();
            newSink.aim(ring);
            old.sink().aim(SetSink.discard(secondCopies));
            LOG.log(System.Logger.Level.INFO, "reshard: switched to " + to + " shards (" + handOver.recorded() + " events of the old"
                    + " set recorded during the reshard" + (behind > 0 ? "; " + behind + " guilds had no new event within"
                    + " reshard.settleMs" : "") + "; the old set was held " + (committed - held) / 1_000_000 + " ms: "
                    + (caughtUp - held) / 1_000_000 + " ms for the new set to catch up, " + (drained - caughtUp) / 1_000_000
                    + " ms for the state and the bot to take the old set's last events, " + (committed - drained) / 1_000_000
                    + " ms to commit); closing the " + old.plan().count() + " old sessions with 1000");
            old.manager().close(1000, "resharded");
            // the old set is stopped and the new one publishes into the ring directly: the hand-over's counts are final
            secondCopies.addAndGet(handOver.notPassedOn());
            replacedDispatches.addAndGet(old.manager().statuses().stream().mapToLong(ShardStatus::dispatches).sum());
            status = new ReshardStatus("done", from, to, to, 0, 0, reason);
        } catch (Exception e) {
            abort(old, next, before, handOver, from, to, "the switch failed: " + e.getMessage());
        }
    }

    /**
     * Right after the switch, before the old set closes: the commands its shards took (the API answered 202) and have
     * not sent go to the API, which sends them through the new set by guild; closing would drop them.
     */
    private void handBackUnsentCommands(ShardSet old) {
        try {
            Map<Integer, List<String>> unsent = old.manager().takeUnsentCommands();
            if (!unsent.isEmpty()) {
                unsentCommands.accept(unsent);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "reshard: the old set's unsent commands could not be handed on: " + e);
        }
    }

    /** Where the old set's unsent commands go at a switch (the HTTP API's commands, when it runs). */
    public void handUnsentCommandsTo(java.util.function.Consumer<Map<Integer, List<String>>> to) {
        unsentCommands = to;
    }

    /**
     * Waits until every shard of {@code next} is READY with all its guilds and every running shard of {@code old} is
     * READY too: an old shard still resuming (a restart just before, a reconnect) replays events from before the new
     * set's identify, which only it delivers, so the switch waits for its RESUMED.
     */
    private boolean awaitLoaded(ShardSet next, ShardSet old) {
        while (!closed) {
            renewLease();
            List<ShardStatus> all = next.manager().statuses();
            boolean loaded = true;
            for (ShardStatus s : all) {
                if ("STOPPED".equals(s.state())) {
                    return false;
                }
                loaded &= s.ready() && s.guildsLoaded() == s.guilds();
            }
            for (ShardStatus s : old.manager().statuses()) {
                // nor while it holds dispatches for a full ring: some may be replayed ones only it has
                loaded &= (s.ready() && !s.readingPaused()) || "STOPPED".equals(s.state());
            }
            if (loaded) {
                return true;
            }
            sleep(50);
        }
        return false;
    }

    /** {@code System.nanoTime()} of the last lease renewal; control thread only. */
    private long leaseRenewedAt;

    /** Tells the other processes, at most once a second, that this process's part of the reshard still runs. */
    private void renewLease() {
        if (leaseRenewedAt != 0 && System.nanoTime() - leaseRenewedAt < 1_000_000_000L) {
            return;
        }
        leaseRenewedAt = System.nanoTime();
        try {
            peers.loading();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "reshard: cannot renew the lease of the reshard (" + e.getMessage() + ")");
        }
    }

    private static String stoppedShard(ShardSet set) {
        for (ShardStatus s : set.manager().statuses()) {
            if ("STOPPED".equals(s.state())) {
                return "shard " + s.id() + ", last close code " + s.lastCloseCode();
            }
        }
        return "none";
    }

    private void abort(ShardSet old, ShardSet next, DispatchSink before, HandOver handOver, int from, int to, String why) {
        handOver.abort();
        old.sink().aim(before);
        loading = null;
        next.manager().close(1000, "reshard abandoned");
        fail(from, to, why + "; the " + from + " running shards stay the source, the new set was closed");
        tellFailed();
    }

    private void refuseTogether(int from, int to, String why) {
        refuse(from, to, why);
        tellFailed();
    }

    private void tellFailed() {
        try {
            peers.failed();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "reshard: cannot record the failure for the other processes (" + e.getMessage() + ")");
        }
    }

    private void refuse(int from, int to, String why) {
        LOG.log(System.Logger.Level.WARNING, "reshard: not resharding " + from + " -> " + (to == 0 ? "?" : to) + " shards: " + why);
        status = new ReshardStatus("refused", from, to, 0, 0, 0, why);
    }

    private void fail(int from, int to, String why) {
        LOG.log(System.Logger.Level.ERROR, "reshard: " + from + " -> " + to + " failed: " + why);
        status = new ReshardStatus("failed", from, to, 0, 0, 0, why);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the triggers and a reshard in progress (its new set closes with 1000); the running set is left to the caller. */
    @Override
    public void close() {
        closed = true;
        control.shutdownNow();
        try {
            control.awaitTermination(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ShardSet l = loading;
        if (l != null) {
            l.manager().close(1000, "gatehouse stopping during a reshard");
        }
    }
}
