package dev.gatehouse.delivery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bot's HTTP endpoint: POSTs a batch (one object, or a JSON array when batching) over keep-alive HTTP/1.1
 * with header {@code Authorization: <secret>}, and turns the answer into an {@link Answer}. The secret is
 * never part of any message. An {@code http://} bot is posted to on the lane's own thread over pooled
 * {@link BotConnection}s (one per lane in use); an {@code https://} bot through the JDK's HttpClient (TLS).
 * Either way {@code delivery.timeoutMs} bounds the connect and the answer.
 *
 * <p>A bot asks for batches with the header {@code Gatehouse-Batch: N} in its answers (2xx, or a refusal: both
 * are the bot's own word; a held answer may come from a proxy and changes nothing): from then on every POST is a
 * JSON array of up to N events (at most {@code delivery.maxBatchSize}), as many as are waiting. An answer without
 * the header takes it back: one object per POST again (unless {@code delivery.batchSize} > 1). So a bot
 * redeployed without batch support refuses the first array it gets, and its refusal (no header) makes the
 * lanes retry those events one object at a time: nothing becomes a dead letter for the shape.
 */
final class BotClient implements Target {
    /** Characters of the bot's answer kept for logs and dead letters. */
    static final int MAX_BODY = 4096;
    /** The answer header with which a bot asks for JSON arrays of up to that many events. */
    static final String BATCH_HEADER = "Gatehouse-Batch";
    private static final long MAX_RETRY_AFTER_MS = 600_000;
    private static final System.Logger LOG = System.getLogger(BotClient.class.getName());

    private final URI url;
    private final String secret;
    private final Duration timeout;
    private final boolean array;
    private final int maxBatch;
    /** The JDK client, for an https bot; null for an http bot (then {@link #idle} and {@link #head} are used). */
    private final HttpClient http;
    /** An http bot's open connections not in use, the most recently used first. */
    private final java.util.concurrent.ConcurrentLinkedDeque<BotConnection> idle = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private volatile boolean closed;
    /** An http bot's request head up to the Content-Length value (it carries the secret: never in a message). */
    private final byte[] head;
    /**
     * A 2xx answer's body is read and dropped, never decoded (nothing uses it: one String per POST less); a hold's or a
     * refusal's is kept as text for the logs and the dead letters.
     */
    private static final HttpResponse.BodyHandler<String> ANSWER_BODY = info ->
            Answer.verdictOf(info.statusCode()) == Answer.Verdict.DELIVERED
                    ? HttpResponse.BodySubscribers.replacing("") : HttpResponse.BodyHandlers.ofString().apply(info);
    /** The batch size the bot's last answer asked for; 0 when it did not ask. */
    private final AtomicInteger asked = new AtomicInteger();
    private volatile long lastBadHeaderLog = System.nanoTime() - 120_000_000_000L;

    /**
     * @param array    every POST a JSON array ({@code delivery.batchSize} > 1), whatever the bot says
     * @param maxBatch the most events per POST a bot may ask for ({@code delivery.maxBatchSize})
     */
    BotClient(URI url, String secret, long timeoutMs, boolean array, int maxBatch) {
        this.url = url;
        this.secret = secret;
        this.timeout = Duration.ofMillis(timeoutMs);
        this.array = array;
        this.maxBatch = maxBatch;
        // No connectTimeout: the request's own timeout bounds the connect too (BotClientConnectTest), and the client's
        // connect-timer events kept the request that opened each pooled connection, body and all, alive long after:
        // the load's multi-megabyte POST of GUILD_CREATEs stayed on the heap of an idle process.
        // the configuration checks this too (exit 2 before start); the same rule here guards every other caller
        if (secret.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c > 0xff)) {
            throw new IllegalArgumentException("eventHandler.secret has a character an HTTP header cannot carry (a line"
                    + " break, a control character, or one beyond Latin-1)");
        }
        boolean plain = "http".equalsIgnoreCase(url.getScheme());
        this.http = plain ? null : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        this.head = ("POST " + path + " HTTP/1.1\r\nHost: " + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "")
                + "\r\nUser-Agent: Gatehouse\r\nContent-Type: application/json\r\nAuthorization: " + secret
                + "\r\nContent-Length: ").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** POSTs the events; never throws for what the network or the bot does. */
    @Override
    public Answer post(List<Pending> batch) throws InterruptedException {
        BotConnection.Reply res;
        try {
            res = http == null ? postPlain(bodyOf(batch)) : postJdk(bodyOf(batch));
        } catch (HttpTimeoutException | BotConnection.Timeout e) {
            return new Answer(Answer.Verdict.HOLD, -1, "no answer within " + timeout.toMillis() + " ms", 0);
        } catch (java.io.InterruptedIOException e) {
            throw new InterruptedException("interrupted while posting to the bot");
        } catch (IOException e) {
            return new Answer(Answer.Verdict.HOLD, -1, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), 0);
        }
        String body = res.body();
        if (body.length() > MAX_BODY) {
            body = body.substring(0, MAX_BODY);
        }
        Answer.Verdict verdict = Answer.verdictOf(res.status());
        if (verdict != Answer.Verdict.HOLD) {
            asked(res.batch());
        }
        return new Answer(verdict, res.status(), body, retryAfterMs(res.retryAfter()));
    }

    /**
     * An http bot: a pooled connection (one the bot closed while it was idle is dropped first) or a new one; the
     * connect, the request and the answer end by one deadline. The connection goes back to the pool when the answer
     * leaves it open.
     */
    private BotConnection.Reply postPlain(byte[] body) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        BotConnection c = idle.pollFirst();
        while (c != null && !c.reusable()) {
            c = idle.pollFirst();
        }
        boolean reused = c != null;
        if (c == null) {
            c = open(deadline);
        }
        byte[] length = (body.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] request = java.util.Arrays.copyOf(head, head.length + length.length);
        System.arraycopy(length, 0, request, head.length, length.length);
        BotConnection.Reply r;
        try {
            r = c.exchange(request, body, deadline, 3 * MAX_BODY);
        } catch (BotConnection.Timeout | java.io.InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            if (!reused || !c.answeredNothing() || Thread.currentThread().isInterrupted() || System.nanoTime() >= deadline) {
                throw e;
            }
            // a kept-alive connection the bot closed as the request went out (its idle timeout, after the check
            // before use): once more at once on a new connection, as the lane's retry would after its backoff
            c = open(deadline);
            r = c.exchange(request, body, deadline, 3 * MAX_BODY);
        }
        if (c.isOpen()) {
            idle.addFirst(c);
            if (closed) { // closed meanwhile: nobody takes it from the pool again
                closeIdle();
            }
        }
        return r;
    }

    private BotConnection open(long deadline) throws IOException {
        return BotConnection.open(hostOf(url), url.getPort() > 0 ? url.getPort() : 80, deadline);
    }

    /** Closes the pooled connections (their sockets and selectors are not freed by the garbage collector). */
    @Override
    public void close() {
        closed = true;
        closeIdle();
        if (http != null) {
            http.shutdownNow();
        }
    }

    private void closeIdle() {
        for (BotConnection c = idle.pollFirst(); c != null; c = idle.pollFirst()) {
            c.close();
        }
    }

    /** The host of a URL as a socket address takes it: an IPv6 literal without its brackets. */
    private static String hostOf(URI url) {
        String h = url.getHost();
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    /** An https bot: the JDK's HttpClient (TLS, its own connection pool and threads). */
    private BotConnection.Reply postJdk(byte[] body) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Authorization", secret)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        HttpResponse<String> res = http.send(req, ANSWER_BODY);
        return new BotConnection.Reply(res.statusCode(), res.headers().firstValue(BATCH_HEADER).orElse(""),
                res.headers().firstValue("Retry-After").orElse(""), res.body() == null ? "" : res.body());
    }

    @Override
    public int batchLimit(int configured) {
        int a = asked.get();
        return a > 0 ? a : configured;
    }

    /** Takes the bot's {@code Gatehouse-Batch} value (empty: not asked); logs when the bot's wish changes. */
    private void asked(String header) {
        int n = batchOf(header);
        if (n < 0) {
            long now = System.nanoTime();
            if (now - lastBadHeaderLog > 60_000_000_000L) {
                lastBadHeaderLog = now;
                LOG.log(System.Logger.Level.WARNING, "delivery: the bot's " + BATCH_HEADER + " header '"
                        + (header.length() > 40 ? header.substring(0, 40) + "..." : header) + "' is not a number of events"
                        + " from 1 to " + Integer.MAX_VALUE + "; ignored, as if absent (logged at most once a minute)");
            }
            n = 0;
        }
        n = Math.min(n, maxBatch);
        int before = asked.getAndSet(n);
        if (before != n) {
            LOG.log(System.Logger.Level.INFO, n > 0
                    ? "delivery: the bot asks for batches (" + BATCH_HEADER + ": " + n + "); POSTs are JSON arrays of up to "
                    + n + " events, as many as are waiting"
                    : "delivery: the bot no longer asks for batches; " + (array ? "JSON arrays as delivery.batchSize says"
                    : "one event per POST"));
        }
    }

    /** A {@code Gatehouse-Batch} value: the events per POST, 0 when absent, -1 when not a whole number from 1 up. */
    static int batchOf(String value) {
        String v = value.strip();
        if (v.isEmpty()) {
            return 0;
        }
        if (v.length() > 10 || !v.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        long n = Long.parseLong(v);
        return n < 1 || n > Integer.MAX_VALUE ? -1 : (int) n;
    }

    /** {@code Retry-After} in seconds (fractions allowed, as Discord sends them); an HTTP date or garbage counts as absent. */
    static long retryAfterMs(String value) {
        if (value.isBlank()) {
            return 0;
        }
        try {
            double s = Double.parseDouble(value.strip());
            return s <= 0 || Double.isNaN(s) ? 0 : (long) Math.min(MAX_RETRY_AFTER_MS, s * 1000);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private byte[] bodyOf(List<Pending> batch) {
        if (!array && asked.get() == 0 && batch.size() == 1) {
            return batch.get(0).body();
        }
        int size = 2 + batch.size();
        for (Pending p : batch) {
            size += p.body().length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
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

    /** The bot's URL without user info or query, for log lines. */
    @Override
    public String where() {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "") + url.getPath();
    }
}
