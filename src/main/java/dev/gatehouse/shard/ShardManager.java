package dev.gatehouse.shard;

import dev.gatehouse.discord.GatewayBot;
import dev.gatehouse.pipeline.DispatchSink;
import dev.gatehouse.pipeline.EventRing;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Spawns the clusters and shards of a {@link ShardPlan}, exposes their status, and stops them with a
 * resumable close so the next process can resume instead of identifying.
 */
public final class ShardManager implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ShardManager.class.getName());

    private final EventLoopGroup loop;
    private final IdentifyQueue identifyQueue;
    private final List<Cluster> clusters = new ArrayList<>();
    private final List<Shard> shards = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<Integer, Cluster> clusterOf = new java.util.HashMap<>();
    private final Map<Integer, Shard> byId = new java.util.concurrent.ConcurrentHashMap<>();
    private final ShardContext ctx;
    private volatile boolean closed;
    /** The whole shard set's stop: every cluster stops in parallel within this. */
    static final long STOP_MS = 10_000;

    /**
     * Starts every shard of the plan: each connects at once and identifies when the queue grants its turn.
     *
     * @param bot            Discord's {@code /gateway/bot} answer: gateway URL, identify buckets, session_start_limit
     * @param startLimit     how to ask {@code /gateway/bot} again when the session_start_limit runs out mid-way
     * @param resumable      sessions a previous process left that this plan can resume (same shard count and
     *                       gateway), by shard id: those shards resume instead of identifying
     * @param identifyTurns  identify turns shared with other processes of the same bot
     * @param maxPausedMs    how long a shard may pause reading for a full ring before closing resumably
     * @param maxHeldBytes   how many bytes of dispatches a paused shard may hold before closing resumably
     * @param controllers    the user's controllers (identify payload, status observers)
     */
    public ShardManager(ShardPlan plan, EventRing ring, String token, long intents, GatewayBot bot,
                        IdentifyQueue.StartLimit startLimit, long identifyIntervalMs, boolean virtualThreads,
                        Map<Integer, ResumePoint> resumable, IdentifyQueue.Ledger identifyTurns, long maxPausedMs,
                        long maxHeldBytes, dev.gatehouse.pipeline.Controllers controllers) {
        this(plan, ring, token, intents, bot, startLimit, identifyIntervalMs, virtualThreads, resumable, identifyTurns,
                maxPausedMs, maxHeldBytes, controllers, shard -> { });
    }

    /**
     * As the other constructor, publishing into any {@link DispatchSink} (the ring, or a reshard's hand-over) and
     * telling {@code shardingRequired} the id of a shard the gateway closed with 4011 (that shard stops).
     */
    public ShardManager(ShardPlan plan, DispatchSink ring, String token, long intents, GatewayBot bot,
                        IdentifyQueue.StartLimit startLimit, long identifyIntervalMs, boolean virtualThreads,
                        Map<Integer, ResumePoint> resumable, IdentifyQueue.Ledger identifyTurns, long maxPausedMs,
                        long maxHeldBytes, dev.gatehouse.pipeline.Controllers controllers,
                        java.util.function.IntConsumer shardingRequired) {
        this(plan, ring, token, intents, bot, startLimit, identifyIntervalMs, virtualThreads, resumable, identifyTurns,
                maxPausedMs, maxHeldBytes, controllers, shardingRequired, Backoff.DEFAULT);
    }

    /** As the other constructors, with {@code reconnect} the shards' wait before a reconnect (gateway.reconnectBackoffMs). */
    public ShardManager(ShardPlan plan, DispatchSink ring, String token, long intents, GatewayBot bot,
                        IdentifyQueue.StartLimit startLimit, long identifyIntervalMs, boolean virtualThreads,
                        Map<Integer, ResumePoint> resumable, IdentifyQueue.Ledger identifyTurns, long maxPausedMs,
                        long maxHeldBytes, dev.gatehouse.pipeline.Controllers controllers,
                        java.util.function.IntConsumer shardingRequired, Backoff reconnect) {
        String gatewayUrl = bot.url();
        int maxConcurrency = bot.maxConcurrency();
        this.loop = new NioEventLoopGroup(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2)),
                Thread.ofPlatform().name("gatehouse-io-", 0).daemon(true).factory());
        this.identifyQueue = new IdentifyQueue(maxConcurrency, identifyIntervalMs, identifyTurns, bot, startLimit);
        ShardContext ctx = new ShardContext(loop, identifyQueue, ring, token, intents, gatewayUrl, plan.total(), 15_000,
                maxPausedMs * 1_000_000L, maxHeldBytes, new LoadedShards(plan.count()), controllers, shardingRequired,
                reconnect);
        this.ctx = ctx;
        int clusterId = 0;
        int resuming = 0;
        for (int[] ids : plan.clusters()) {
            Cluster c = new Cluster(clusterId++);
            for (int id : ids) {
                ResumePoint from = resumable.get(id);
                if (from != null) {
                    resuming++;
                }
                Shard s = new Shard(id, c, ctx, from);
                c.add(s);
                shards.add(s);
                clusterOf.put(id, c);
                byId.put(id, s);
            }
            clusters.add(c);
        }
        LOG.log(System.Logger.Level.INFO, "starting shards " + plan.describe()
                + " in " + clusters.size() + " clusters on " + (virtualThreads ? "virtual" : "platform")
                + " threads, identify buckets " + maxConcurrency + "; " + resuming + " resume sessions of the previous run, "
                + (plan.count() - resuming) + " identify");
        for (Cluster c : clusters) {
            c.start(virtualThreads);
        }
    }

    /** The shard count of this set (all processes together). */
    public int totalShards() {
        return ctx.totalShards();
    }

    /** Status of every shard, by shard id. */
    public List<ShardStatus> statuses() {
        List<ShardStatus> out = new ArrayList<>(shards.size());
        for (Shard s : shards) {
            out.add(s.status());
        }
        return out;
    }

    /**
     * Queues a command payload (op 3 presence, op 4 voice state, op 8 request guild members) for a shard; it
     * goes out once the shard is READY, within Discord's send limit. Completes with false when the shard's
     * queue is full or the shard is stopped.
     *
     * @throws IllegalArgumentException when this process does not run the shard
     */
    public CompletableFuture<Boolean> command(int shardId, String payload) {
        Shard s = byId.get(shardId);
        if (s == null) {
            throw new IllegalArgumentException("shard " + shardId + " is not run by this process");
        }
        if (closed) {
            return CompletableFuture.completedFuture(false); // the cluster threads are gone: nothing would run the task
        }
        CompletableFuture<Boolean> queued = new CompletableFuture<>();
        clusterOf.get(shardId).execute(() -> queued.complete(s.command(payload)));
        return queued;
    }

    /**
     * A reshard's switch, before this replaced set closes: per shard id, the commands its shard queued and has not
     * sent (behind the send limit, or while it was not READY), oldest first; the shards take no more commands.
     */
    public Map<Integer, List<String>> takeUnsentCommands() {
        Map<Integer, List<String>> out = new java.util.concurrent.ConcurrentHashMap<>();
        CountDownLatch taken = new CountDownLatch(clusters.size());
        for (Cluster c : clusters) {
            c.execute(() -> {
                try {
                    for (Shard s : c.shards()) {
                        List<String> unsent = s.takeCommands();
                        if (!unsent.isEmpty()) {
                            out.put(s.id(), unsent);
                        }
                    }
                } finally {
                    taken.countDown();
                }
            });
        }
        try {
            if (!taken.await(STOP_MS, TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "a cluster did not hand its unsent commands back within " + STOP_MS + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new java.util.TreeMap<>(out);
    }

    /**
     * Gives up every shard's session and identifies each anew (through the identify queue), so Discord sends READY
     * and every GUILD_CREATE again: how the state is reloaded when the database lost it.
     */
    public void reidentifyAll() {
        for (Map.Entry<Integer, Cluster> e : clusterOf.entrySet()) {
            int id = e.getKey();
            Cluster c = e.getValue();
            if (closed) {
                return;
            }
            c.execute(() -> {
                Shard old = byId.get(id);
                old.stop();
                Shard fresh = new Shard(id, c, ctx, null);
                c.replace(old, fresh);
                shards.set(shards.indexOf(old), fresh);
                byId.put(id, fresh);
                fresh.start();
            });
        }
    }

    /** Number of clusters (worker threads). */
    public int clusterCount() {
        return clusters.size();
    }

    /**
     * Stops every shard with a resumable close code, waits for the closes, then stops the cluster threads, all
     * clusters in parallel under one deadline ({@link #STOP_MS} for the whole set, not per cluster). After this
     * returns nothing more is published to the ring (a cluster that missed the deadline is reported).
     */
    @Override
    public void close() {
        close(dev.gatehouse.discord.CloseCode.RESUMABLE_SHUTDOWN, "gatehouse stopping");
    }

    /**
     * As {@link #close()}, closing every connection with {@code code}: 1000 ends the sessions (the set a reshard
     * replaced), so Discord stops sending to them.
     */
    public void close(int code, String reason) {
        closed = true;
        long deadline = System.nanoTime() + STOP_MS * 1_000_000L;
        CountDownLatch stopped = new CountDownLatch(clusters.size());
        for (Cluster c : clusters) {
            c.execute(() -> {
                for (Shard s : c.shards()) {
                    s.stop(code, reason);
                }
                stopped.countDown();
            });
        }
        try {
            stopped.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            for (Cluster c : clusters) {
                c.stop(deadline - 500_000_000L); // held dispatches go to the ring until shortly before the deadline
            }
            for (Cluster c : clusters) {
                if (!c.awaitStopped(deadline)) {
                    LOG.log(System.Logger.Level.WARNING, "cluster " + c.id() + " did not stop within " + STOP_MS + " ms");
                }
            }
            // the gateway's answers to the close frames: shutting the event loop down first would drop the sockets
            // with bytes unread (a TCP reset), and a close frame the gateway had not read yet would be lost with
            // them (a 1000 that should end the session)
            long answered = Math.min(deadline, System.nanoTime() + GatewayConnection.CLOSE_ANSWER_MS * 1_000_000L);
            while (code == 1000 && System.nanoTime() < answered && shards.stream().anyMatch(Shard::connectionOpen)) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        identifyQueue.close();
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
