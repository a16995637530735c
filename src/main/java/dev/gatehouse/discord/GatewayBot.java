package dev.gatehouse.discord;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The answer of {@code GET /gateway/bot}: where to connect, how many shards Discord recommends, and the
 * identify budget ({@code session_start_limit}).
 */
public record GatewayBot(String url, int shards, int total, int remaining, long resetAfterMs, int maxConcurrency) {

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * Calls {@code GET {restBase}/gateway/bot} with the bot token.
     *
     * @throws IOException with the HTTP status and Discord's message; never the token
     */
    public static GatewayBot fetch(URI restBase, String token) throws IOException, InterruptedException {
        String base = restBase.toString();
        URI uri = URI.create(base.endsWith("/") ? base + "gateway/bot" : base + "/gateway/bot");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest req = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(15))
                .header("Authorization", token.startsWith("Bot ") ? token : "Bot " + token)
                .header("User-Agent", "DiscordBot (https://github.com/gatehouse, 0.1)")
                .GET().build();
        HttpResponse<byte[]> res;
        try {
            res = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IOException("GET " + uri + " failed: " + e, e);
        }
        if (res.statusCode() == 401) {
            throw new IOException("GET " + uri + " answered 401: the bot token is invalid");
        }
        if (res.statusCode() != 200) {
            throw new IOException("GET " + uri + " answered " + res.statusCode() + ": " + abbreviate(res.body()));
        }
        return parse(res.body());
    }

    /** Parses the JSON body. */
    public static GatewayBot parse(byte[] body) throws IOException {
        String url = null;
        int shards = 0, total = 0, remaining = 0, maxConcurrency = 1;
        long resetAfter = 0;
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("/gateway/bot: expected a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "url" -> url = p.getValueAsString();
                    case "shards" -> shards = p.getValueAsInt();
                    case "session_start_limit" -> {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String f = p.currentName();
                            p.nextToken();
                            switch (f) {
                                case "total" -> total = p.getValueAsInt();
                                case "remaining" -> remaining = p.getValueAsInt();
                                case "reset_after" -> resetAfter = p.getValueAsLong();
                                case "max_concurrency" -> maxConcurrency = p.getValueAsInt();
                                default -> p.skipChildren();
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        }
        if (url == null || shards < 1 || maxConcurrency < 1) {
            throw new IOException("/gateway/bot: missing url, shards or max_concurrency in the answer");
        }
        return new GatewayBot(url, shards, total, remaining, resetAfter, maxConcurrency);
    }

    private static String abbreviate(byte[] body) {
        String s = new String(body, java.nio.charset.StandardCharsets.UTF_8);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    /** The URL to open for a gateway base URL: any query replaced by v10, JSON and zlib-stream. */
    public static java.net.URI connectUri(String base) {
        String b = base;
        int q = b.indexOf('?');
        if (q >= 0) {
            b = b.substring(0, q);
        }
        if (!b.endsWith("/")) {
            b = b + "/";
        }
        return java.net.URI.create(b + "?v=10&encoding=json&compress=zlib-stream");
    }
}
