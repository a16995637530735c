package dev.gatehouse.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.delivery.Forwarder;
import dev.gatehouse.pipeline.EventRing;
import dev.gatehouse.shard.ShardManager;
import dev.gatehouse.shard.ShardStatus;
import dev.gatehouse.state.StateReads;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the probes and the status page say, sampled every {@link #SAMPLE_MS}: events per second, delivery queue and
 * ring backlog over the last minutes, whether the database answers, whether the bot takes events, and since when
 * each shard has not been READY. {@code /readyz} is ready when every shard is READY or briefly away (resuming)
 * for at most {@link #AWAY_MS}, the database answers and delivery is not stalled.
 */
final class Health {
    static final long SAMPLE_MS = 2_000;
    /** A database probe without an answer after this counts as the database unreachable. */
    static final long PROBE_OVERDUE_MS = 5_000;
    /** Samples kept: five minutes. */
    static final int SAMPLES = 150;
    /** A shard that is not READY for longer than this makes the process unready. */
    static final long AWAY_MS = 60_000;
    /** Delivery with events waiting and nothing acknowledged for this long is stalled. */
    static final long STALLED_MS = 30_000;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One sample for the status page's graphs. */
    private record Sample(long atMs, double eventsPerSecond, int queued, long backlog) {
    }

    private final java.util.function.Supplier<ShardManager> shards;
    private final Forwarder delivery;
    private final EventRing ring;
    private final DispatchTap tap;
    private final StateReads reads;
    private final Executor readExecutor;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private final Map<Integer, Long> awaySince = new HashMap<>();
    private long lastTotal;
    private long lastAt = System.nanoTime();
    private long lastDelivered;
    private long deliveredAt = System.nanoTime();
    private volatile boolean database = true;
    /** When the probe in flight was queued (System.nanoTime), 0 when none is. */
    private long probeSince;

    Health(java.util.function.Supplier<ShardManager> shards, Forwarder delivery, EventRing ring, DispatchTap tap, StateReads reads, Executor readExecutor,
           ScheduledExecutorService timer) {
        this.shards = shards;
        this.delivery = delivery;
        this.ring = ring;
        this.tap = tap;
        this.reads = reads;
        this.readExecutor = readExecutor;
        timer.scheduleWithFixedDelay(this::sample, 0, SAMPLE_MS, TimeUnit.MILLISECONDS);
    }

    private synchronized void sample() {
        long now = System.nanoTime();
        long total = tap.total();
        double rate = lastAt == now ? 0 : (total - lastTotal) / ((now - lastAt) / 1e9);
        lastTotal = total;
        lastAt = now;
        samples.addLast(new Sample(System.currentTimeMillis(), rate, delivery.queued(), ring.backlog()));
        while (samples.size() > SAMPLES) {
            samples.removeFirst();
        }
        long delivered = delivery.delivered();
        if (delivered != lastDelivered || delivery.queued() == 0) {
            lastDelivered = delivered;
            deliveredAt = now;
        }
        for (ShardStatus s : shards.get().statuses()) {
            if (s.ready()) {
                awaySince.remove(s.id());
            } else {
                awaySince.putIfAbsent(s.id(), now);
            }
        }
        if (probeSince != 0) {
            // one probe at a time: during an outage they would pile up on the read executor
            if (now - probeSince > TimeUnit.MILLISECONDS.toNanos(PROBE_OVERDUE_MS)) {
                database = false; // no answer in time is no answer
            }
            return;
        }
        probeSince = now;
        try {
            readExecutor.execute(() -> {
                boolean ok = false;
                try {
                    ok = reads.reachable();
                } catch (RuntimeException e) {
                    ok = false;
                } finally {
                    probed(ok);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException busy) {
            probeSince = 0;
            database = false; // the reads wait for the database so long that the executor refuses more
        }
    }

    private synchronized void probed(boolean ok) {
        probeSince = 0;
        database = ok;
    }

    /** True when the bot acknowledges what is queued for it (or nothing is queued). */
    synchronized boolean botReachable() {
        return System.nanoTime() - deliveredAt < TimeUnit.MILLISECONDS.toNanos(STALLED_MS);
    }

    boolean databaseReachable() {
        return database;
    }

    /** The readiness answer: a verdict and its reasons. */
    synchronized ObjectNode readiness() {
        ObjectNode out = NODES.objectNode();
        ArrayNode reasons = out.putArray("reasons");
        long now = System.nanoTime();
        for (ShardStatus s : shards.get().statuses()) {
            Long since = awaySince.get(s.id());
            boolean longAway = since != null && now - since > TimeUnit.MILLISECONDS.toNanos(AWAY_MS);
            if (!s.ready() && (longAway || !resumingLike(s.state()))) {
                reasons.add("shard " + s.id() + " is " + s.state());
            }
        }
        if (!database) {
            reasons.add("the database does not answer");
        }
        if (!botReachable()) {
            reasons.add("delivery is stalled: " + delivery.queued() + " events wait and the bot acknowledged none for "
                    + STALLED_MS / 1000 + " s");
        }
        out.put("ready", reasons.isEmpty());
        return out;
    }

    private static boolean resumingLike(String state) {
        return switch (state) {
            case "RESUMING", "RECONNECTING", "CONNECTING", "HELLO" -> true;
            default -> false;
        };
    }

    /** The history of the last minutes, oldest first. */
    synchronized ArrayNode history() {
        ArrayNode out = NODES.arrayNode();
        for (Sample s : samples) {
            out.addObject().put("t", s.atMs()).put("events_per_s", Math.round(s.eventsPerSecond() * 10) / 10.0)
                    .put("queued", s.queued()).put("backlog", s.backlog());
        }
        return out;
    }

    /** Every shard's status as JSON, for {@code /shards} and the page. */
    static ArrayNode shardsJson(List<ShardStatus> all) {
        ArrayNode out = NODES.arrayNode();
        for (ShardStatus s : all) {
            out.addObject().put("id", s.id()).put("state", s.state()).put("session", s.session()).put("seq", s.seq())
                    .put("latency_ms", s.latencyMs()).put("guilds", s.guilds()).put("guilds_loaded", s.guildsLoaded())
                    .put("resumes", s.resumes()).put("identifies", s.identifies()).put("commands_queued", s.commandsQueued())
                    .put("last_close_code", s.lastCloseCode()).put("dispatches", s.dispatches());
        }
        return out;
    }
}
