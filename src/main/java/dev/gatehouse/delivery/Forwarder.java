package dev.gatehouse.delivery;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.lmax.disruptor.EventHandler;
import dev.gatehouse.pipeline.Controllers;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.GatewayFilters;
import dev.gatehouse.pipeline.GuildKind;
import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.pipeline.Session;
import dev.gatehouse.spi.DispatchAction;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Delivers every dispatch to the bot. As a ring consumer it wraps each one as
 * {@code {"shardId":N,"sessionId":"...","kind":"join","data":<frame>}} (shard, session and {@code data.s}
 * identify it; {@code kind} only on GUILD_CREATE/GUILD_DELETE, see {@link GuildKind}) after the
 * {@link GatewayFilters}, into
 * the {@link DeliveryBuffer} (memory, then the durable spill); the {@link Lanes} POST them in per-shard order
 * through the {@link BotClient}; refused events go to the {@link DeadLetters}. What counts as done for a
 * restart is {@link #done}: taken by the bot, or durable in the spill.
 */
public final class Forwarder implements EventHandler<Dispatch> {
    private static final System.Logger LOG = System.getLogger(Forwarder.class.getName());
    private static final byte[] PREFIX = "{\"shardId\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = ",\"data\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_SESSION = new byte[0];
    /** {@code ,"kind":"join"} and the others, by {@link GuildKind} ordinal. */
    private static final byte[][] KINDS = new byte[GuildKind.values().length][];

    static {
        for (GuildKind k : GuildKind.values()) {
            KINDS[k.ordinal()] = (",\"kind\":\"" + k.wire() + "\"").getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final DeliveryBuffer buffer;
    private final Lanes lanes;
    /** Where the lanes post: the bot (or a controller); closed after the lanes. */
    private final Target target;
    private final DeadLetters deadLetters;
    private final LongAdder replaysSkipped = new LongAdder();
    private final Handled handled;
    private final GatewayFilters filters;
    private final Controllers controllers;
    private final LongAdder droppedByControllers = new LongAdder();
    private final LongAdder signals = new LongAdder();
    private final Map<Integer, SessionField> sessionFields = new HashMap<>(); // consumer thread only
    private final LatencyHistogram latency = new LatencyHistogram();
    private final LatencyHistogram reached = new LatencyHistogram();
    private long order;

    /** How the forwarder holds events and talks to the bot. */
    public record Settings(URI url, String secret, int maxQueued, long maxQueuedBytes, Path spillDir, long maxSpilledBytes,
                           Overflow overflow, int batchSize, int maxBatchSize, int connections, long timeoutMs, long lingerMs) {
        /** Without a linger ({@code delivery.lingerMs=0}). */
        public Settings(URI url, String secret, int maxQueued, long maxQueuedBytes, Path spillDir, long maxSpilledBytes,
                        Overflow overflow, int batchSize, int maxBatchSize, int connections, long timeoutMs) {
            this(url, secret, maxQueued, maxQueuedBytes, spillDir, maxSpilledBytes, overflow, batchSize, maxBatchSize,
                    connections, timeoutMs, 0);
        }

        @Override
        public String toString() {
            return "Forwarder.Settings[" + url + ", " + connections + " connections]"; // never the secret
        }
    }

    /**
     * @param handled what the bot had taken when the previous process stopped: replays of it are skipped (the
     *                spill's own content from that run is added here)
     * @param db      where refused events are kept (dead letters)
     */
    public Forwarder(Settings s, Handled handled, DataSource db, GatewayFilters filters, Controllers controllers) {
        this(s, handled, db, filters, controllers, 0, 0);
    }

    /**
     * @param applicationId         the bot, among those sharing the database, whose dead letters these are
     * @param deadLetterRetentionDays how long dead letters are kept (0: for ever)
     */
    public Forwarder(Settings s, Handled handled, DataSource db, GatewayFilters filters, Controllers controllers,
                     long applicationId, int deadLetterRetentionDays) {
        this.filters = filters;
        this.controllers = controllers;
        this.buffer = new DeliveryBuffer(s.connections(), s.maxQueued(), s.maxQueuedBytes(),
                s.maxSpilledBytes() > 0 ? s.spillDir() : null, s.maxSpilledBytes(), s.overflow());
        this.handled = handled.with(buffer.spilledMarks());
        this.deadLetters = new DeadLetters(db, applicationId, deadLetterRetentionDays);
        deadLetters.startPruning();
        this.target = controllers.deliveryTarget().<Target>map(t -> new ControllerTarget(t, controllers))
                .orElseGet(() -> new BotClient(s.url(), s.secret(), s.timeoutMs(), s.batchSize() > 1,
                        Math.max(s.batchSize(), s.maxBatchSize())));
        this.lanes = new Lanes(s.connections(), buffer, this.target, deadLetters, s.batchSize(), latency,
                java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(s.lingerMs()));
    }

    @Override
    public void onEvent(Dispatch d, long sequence, boolean endOfBatch) throws InterruptedException {
        if (d.receivedNanos() != 0) {
            reached.record(System.nanoTime() - d.receivedNanos());
        }
        if (d.type().startsWith(SIGNAL_PREFIX)) {
            signals.increment();
        }
        if (handled.covers(d)) {
            replaysSkipped.increment();
        } else if (filters.deliver(d)) {
            DispatchAction action = controllers.onDispatch(d);
            if (action.verdict() == DispatchAction.Verdict.DROP) {
                droppedByControllers.increment();
                skipped(d);
            } else {
                enqueue(d, action);
            }
        } else {
            skipped(d);
        }
        if (endOfBatch) {
            buffer.endOfBatch();
        }
    }

    private void enqueue(Dispatch d, DispatchAction action) throws InterruptedException {
        byte[] frame = action.frame() != null ? action.frame() : d.payload();
        int frameLength = action.frame() != null ? frame.length : d.length();
        byte[] route = action.destination().isEmpty() ? NO_SESSION : (",\"route\":\"" + new String(JsonStringEncoder.getInstance()
                .quoteAsString(action.destination())) + "\"").getBytes(StandardCharsets.UTF_8);
        byte[] shard = Integer.toString(d.shardId()).getBytes(StandardCharsets.US_ASCII);
        byte[] session = sessionField(d.shardId(), d.session());
        byte[] kind = d.kind() == GuildKind.NONE ? NO_SESSION : KINDS[d.kind().ordinal()];
        byte[] body = new byte[PREFIX.length + shard.length + session.length + kind.length + route.length + DATA.length
                + frameLength + 1];
        int o = 0;
        System.arraycopy(PREFIX, 0, body, o, PREFIX.length);
        o += PREFIX.length;
        System.arraycopy(shard, 0, body, o, shard.length);
        o += shard.length;
        System.arraycopy(session, 0, body, o, session.length);
        o += session.length;
        System.arraycopy(kind, 0, body, o, kind.length);
        o += kind.length;
        System.arraycopy(route, 0, body, o, route.length);
        o += route.length;
        System.arraycopy(DATA, 0, body, o, DATA.length);
        o += DATA.length;
        System.arraycopy(frame, 0, body, o, frameLength);
        body[body.length - 1] = '}';
        buffer.gate().queuing(d.type());
        if (!buffer.offer(new Pending(order++, d.shardId(), d.session() == null ? null : d.session().id(), d.seq(), d.type(),
                body, d.receivedNanos(), -1, action.destination()))) {
            LOG.log(System.Logger.Level.WARNING, "delivery: stopped; " + d + " not queued");
        }
    }

    /** A filtered or dropped dispatch still moves the shard's delivery checkpoint, in its turn. */
    private void skipped(Dispatch d) {
        if (d.session() != null) {
            buffer.skipped(new Pending(order++, d.shardId(), d.session().id(), d.seq(), d.type(), NO_SESSION, 0, -1, ""));
        }
    }

    /** {@code ,"sessionId":"..."} for a shard's current session, built once per session (consumer thread). */
    private byte[] sessionField(int shardId, Session session) {
        if (session == null) {
            return NO_SESSION;
        }
        SessionField f = sessionFields.get(shardId);
        if (f == null || f.session() != session) {
            f = new SessionField(session, (",\"sessionId\":\"" + new String(JsonStringEncoder.getInstance()
                    .quoteAsString(session.id())) + "\"").getBytes(StandardCharsets.UTF_8));
            sessionFields.put(shardId, f);
        }
        return f.bytes();
    }

    private record SessionField(Session session, byte[] bytes) {
    }

    /** The gateway filters in front of the bot (their counters). */
    public GatewayFilters filters() {
        return filters;
    }

    /** The type prefix of Gatehouse's own events in the stream (GATEHOUSE_SHARD_LOADED, GATEHOUSE_ALL_LOADED). */
    static final String SIGNAL_PREFIX = "GATEHOUSE_";

    /** Gatehouse's own events (the loaded signals) taken from the ring: not received from Discord, delivered too. */
    public long signals() {
        return signals.sum();
    }

    /** Dispatches not delivered because of a filter (types, unfurled edits) or a controller's drop. */
    public long filtered() {
        return filters.skippedTypes() + filters.skippedEdits() + droppedByControllers.sum();
    }

    /** Dispatches a controller dropped before delivery. */
    public long droppedByControllers() {
        return droppedByControllers.sum();
    }

    /** Events the bot has acknowledged. */
    public long delivered() {
        return lanes.delivered();
    }

    /** Per shard, the last event the bot has taken or the spill holds durably; a snapshot. */
    public Map<Integer, Handled.Mark> done() {
        return Map.copyOf(buffer.done());
    }

    /** Dispatches replayed after a restart that the bot had already taken (or the spill held). */
    public long replaysSkipped() {
        return replaysSkipped.sum();
    }

    /** Events waiting in memory (including those being POSTed) and in the spill. */
    public int queued() {
        return (int) Math.min(Integer.MAX_VALUE, buffer.size());
    }

    /** Events waiting in memory. */
    public int queuedInMemory() {
        return buffer.memoryEvents();
    }

    /** Bytes of events waiting in memory. */
    public long queuedBytes() {
        return buffer.memoryBytes();
    }

    /** Events waiting in the durable spill. */
    public long spilledEvents() {
        return buffer.spillEvents();
    }

    /** Bytes of events waiting in the durable spill. */
    public long spilledBytes() {
        return buffer.spillBytes();
    }

    /** Events written to the spill since start. */
    public long spilled() {
        return buffer.spilled();
    }

    /** Events dropped by the overflow policy. */
    public long dropped() {
        return buffer.dropped();
    }

    /** Events the bot refused (400, 413, 422), kept as dead letters. */
    public long refused() {
        return deadLetters.count();
    }

    /** POSTs sent to the bot (each attempt counted, held ones too). */
    public long posts() {
        return lanes.posts();
    }

    /** Events in those POSTs (with {@link #posts}: events per POST). */
    public long eventsPosted() {
        return lanes.eventsPosted();
    }

    /** Times a lane waited {@code delivery.lingerMs} for company before a POST of a batch not full yet. */
    public long lingers() {
        return lanes.lingers();
    }

    /** POST attempts that were held and retried. */
    public long retries() {
        return lanes.retries();
    }

    /** Outages of the bot (a run of held POSTs) since start. */
    public long outages() {
        return lanes.outages();
    }

    public LatencyHistogram latency() {
        return latency;
    }

    /**
     * From a frame's arrival to this consumer taking it: the ring's part of {@link #latency} (with
     * {@code delivery.afterState}, the state writer's transaction included); the rest is the lanes and the POST.
     */
    public LatencyHistogram reachedDelivery() {
        return reached;
    }

    /**
     * Stops: no new events are taken; the lanes keep delivering what memory holds for up to {@code drainMs},
     * the rest goes to the spill. Returns the number of events left in memory only (no spill configured).
     */
    public int close(long drainMs) {
        lanes.close(drainMs);
        target.close();
        deadLetters.close();
        return buffer.close();
    }
}
