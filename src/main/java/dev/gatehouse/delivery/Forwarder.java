package dev.gatehouse.delivery;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.lmax.disruptor.EventHandler;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.pipeline.Session;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Delivers every dispatch to the bot: a ring consumer wraps each one as
 * {@code {"shardId":N,"sessionId":"...","data":<frame>}} (shard, session and {@code data.s} identify it)
 * into the {@link DeliveryBuffer}; one lane thread per connection POSTs its shards' events in order with
 * header {@code Authorization: <secret>}, and retries with backoff while the bot is unreachable, times out,
 * or answers 408, 429 or 5xx. Any other answer is the bot refusing that event: logged with its identity,
 * counted, and not retried.
 */
public final class Forwarder implements EventHandler<Dispatch> {
    private static final System.Logger LOG = System.getLogger(Forwarder.class.getName());
    private static final byte[] PREFIX = "{\"shardId\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = ",\"data\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NO_SESSION = new byte[0];

    private final URI url;
    private final String secret;
    private final int batchSize;
    private final Duration timeout;
    private final DeliveryBuffer buffer;
    private final HttpClient http;
    private final List<Thread> lanes = new ArrayList<>();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder replaysSkipped = new LongAdder();
    private final Handled handled;
    private final Map<Integer, SessionField> sessionFields = new java.util.HashMap<>(); // consumer thread only
    /** Per shard, the last event the bot acknowledged (or refused): what a restart need not deliver again. */
    private final Map<Integer, Handled.Mark> done = new ConcurrentHashMap<>();
    private final LatencyHistogram latency = new LatencyHistogram();
    private final AtomicBoolean botDown = new AtomicBoolean();
    private volatile boolean running = true;
    private volatile long drainDeadline = Long.MAX_VALUE;
    private long order;

    /**
     * @param handled what the bot had acknowledged when the previous process stopped: replays of it are skipped
     */
    public Forwarder(URI url, String secret, int maxQueued, Overflow overflow, int batchSize, int connections, long timeoutMs,
                     Handled handled) {
        this.handled = handled;
        this.url = url;
        this.secret = secret;
        this.batchSize = batchSize;
        this.timeout = Duration.ofMillis(timeoutMs);
        this.buffer = new DeliveryBuffer(connections, maxQueued, overflow);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(Math.min(timeoutMs, 5000))).build();
        for (int i = 0; i < connections; i++) {
            int lane = i;
            lanes.add(Thread.ofPlatform().name("gatehouse-delivery-" + i).daemon(true).start(() -> runLane(lane)));
        }
    }

    @Override
    public void onEvent(Dispatch d, long sequence, boolean endOfBatch) throws InterruptedException {
        if (handled.covers(d)) {
            replaysSkipped.increment();
            return;
        }
        byte[] shard = Integer.toString(d.shardId()).getBytes(StandardCharsets.US_ASCII);
        byte[] session = sessionField(d.shardId(), d.session());
        byte[] body = new byte[PREFIX.length + shard.length + session.length + DATA.length + d.length() + 1];
        int o = 0;
        System.arraycopy(PREFIX, 0, body, o, PREFIX.length);
        o += PREFIX.length;
        System.arraycopy(shard, 0, body, o, shard.length);
        o += shard.length;
        System.arraycopy(session, 0, body, o, session.length);
        o += session.length;
        System.arraycopy(DATA, 0, body, o, DATA.length);
        o += DATA.length;
        System.arraycopy(d.payload(), 0, body, o, d.length());
        body[body.length - 1] = '}';
        if (!buffer.offer(new Pending(order++, d.shardId(), d.session() == null ? null : d.session().id(), d.seq(), d.type(), body, d.receivedNanos()))) {
            LOG.log(System.Logger.Level.WARNING, "delivery: stopped; " + d + " not queued");
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

    private void runLane(int lane) {
        List<Pending> batch = new ArrayList<>(batchSize);
        long backoff = 100;
        while (running || (buffer.size() > 0 && System.nanoTime() < drainDeadline)) {
            try {
                if (batch.isEmpty()) {
                    buffer.peek(lane, batchSize, batch, 200);
                    if (batch.isEmpty()) {
                        continue;
                    }
                }
                Outcome outcome = post(batch);
                if (outcome == Outcome.RETRY) {
                    retries.increment();
                    Thread.sleep(backoff);
                    backoff = Math.min(5_000, backoff * 2);
                    continue;
                }
                backoff = 100;
                long now = System.nanoTime();
                if (outcome == Outcome.DELIVERED) {
                    delivered.add(batch.size());
                    for (Pending p : batch) {
                        latency.record(now - p.receivedNanos());
                    }
                } else {
                    refused.add(batch.size());
                }
                for (Pending p : batch) {
                    if (p.sessionId() != null) {
                        done.put(p.shardId(), new Handled.Mark(p.sessionId(), p.seq()));
                    }
                }
                buffer.remove(lane, batch.size());
                batch.clear();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private enum Outcome { DELIVERED, REFUSED, RETRY }

    private Outcome post(List<Pending> batch) throws InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Authorization", secret)
                .POST(HttpRequest.BodyPublishers.ofByteArray(bodyOf(batch))).build();
        HttpResponse<String> res;
        try {
            res = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            return down("no answer within " + timeout.toMillis() + " ms", batch);
        } catch (IOException e) {
            return down(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), batch);
        }
        int status = res.statusCode();
        if (status >= 200 && status < 300) {
            if (botDown.compareAndSet(true, false)) {
                LOG.log(System.Logger.Level.INFO, "delivery: bot answers again; delivering " + buffer.size() + " queued events in order");
            }
            return Outcome.DELIVERED;
        }
        if (status == 408 || status == 429 || status >= 500) {
            return down("HTTP " + status + excerpt(res.body()), batch);
        }
        LOG.log(System.Logger.Level.ERROR, "delivery: bot refused " + describe(batch) + " with HTTP " + status
                + excerpt(res.body()) + "; not retried");
        return Outcome.REFUSED;
    }

    private Outcome down(String why, List<Pending> batch) {
        if (running && botDown.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "delivery: bot at " + where() + " not taking events (" + why
                    + "); holding them (" + buffer.size() + " queued, at " + describe(batch) + ") and retrying");
        }
        return Outcome.RETRY;
    }

    private byte[] bodyOf(List<Pending> batch) {
        if (batchSize == 1) {
            return batch.get(0).body();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write('[');
        for (int i = 0; i < batch.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.writeBytes(batch.get(i).body());
        }
        out.write(']');
        return out.toByteArray();
    }

    private static String describe(List<Pending> batch) {
        return batch.size() == 1 ? batch.get(0).toString() : batch.size() + " events from " + batch.get(0);
    }

    private static String excerpt(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        String b = body.strip();
        return ": " + (b.length() > 200 ? b.substring(0, 200) + "..." : b);
    }

    /** The bot's URL without user info or query, for log lines. */
    private String where() {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "") + url.getPath();
    }

    /** Events the bot has acknowledged. */
    public long delivered() {
        return delivered.sum();
    }

    /** Per shard, the last event the bot has taken (acknowledged or refused for good); a snapshot. */
    public Map<Integer, Handled.Mark> done() {
        return Map.copyOf(done);
    }

    /** Dispatches replayed after a restart that the bot had already acknowledged. */
    public long replaysSkipped() {
        return replaysSkipped.sum();
    }

    /** Events waiting in the buffer (including those being POSTed). */
    public int queued() {
        return buffer.size();
    }

    /** Events dropped by the overflow policy. */
    public long dropped() {
        return buffer.dropped();
    }

    /** Events the bot refused with a 4xx. */
    public long refused() {
        return refused.sum();
    }

    /** POST attempts that failed and were retried. */
    public long retries() {
        return retries.sum();
    }

    public LatencyHistogram latency() {
        return latency;
    }

    /**
     * Stops: no new events are taken; the lanes keep delivering what is queued for up to {@code drainMs},
     * then stop. Returns the number of events still queued (not delivered).
     */
    public int close(long drainMs) {
        drainDeadline = System.nanoTime() + drainMs * 1_000_000L;
        running = false;
        for (Thread t : lanes) {
            try {
                t.join(drainMs + 2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        buffer.close();
        for (Thread t : lanes) {
            t.interrupt();
        }
        return buffer.size();
    }
}
