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

/**
 * The bot's HTTP endpoint: POSTs a batch (one object, or a JSON array when batching) over keep-alive HTTP/1.1
 * with header {@code Authorization: <secret>}, and turns the answer into an {@link Answer}. The secret is
 * never part of any message.
 */
final class BotClient implements Target {
    /** Characters of the bot's answer kept for logs and dead letters. */
    static final int MAX_BODY = 4096;
    private static final long MAX_RETRY_AFTER_MS = 600_000;

    private final URI url;
    private final String secret;
    private final Duration timeout;
    private final boolean array;
    private final HttpClient http;

    BotClient(URI url, String secret, long timeoutMs, boolean array) {
        this.url = url;
        this.secret = secret;
        this.timeout = Duration.ofMillis(timeoutMs);
        this.array = array;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(Math.min(timeoutMs, 5000))).build();
    }

    /** POSTs the events; never throws for what the network or the bot does. */
    @Override
    public Answer post(List<Pending> batch) throws InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Authorization", secret)
                .POST(HttpRequest.BodyPublishers.ofByteArray(bodyOf(batch))).build();
        HttpResponse<String> res;
        try {
            res = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            return new Answer(Answer.Verdict.HOLD, -1, "no answer within " + timeout.toMillis() + " ms", 0);
        } catch (IOException e) {
            return new Answer(Answer.Verdict.HOLD, -1, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), 0);
        }
        String body = res.body() == null ? "" : res.body();
        if (body.length() > MAX_BODY) {
            body = body.substring(0, MAX_BODY);
        }
        return new Answer(Answer.verdictOf(res.statusCode()), res.statusCode(), body,
                retryAfterMs(res.headers().firstValue("Retry-After").orElse("")));
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
        if (!array && batch.size() == 1) {
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
