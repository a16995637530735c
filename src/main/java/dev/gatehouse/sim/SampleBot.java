package dev.gatehouse.sim;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo's bot: an HTTP endpoint on loopback that checks the shared secret and counts the events it is
 * given (one object, or an array of them; it asks for arrays of up to 1000 with its {@code Gatehouse-Batch} answer
 * header, so a backlog reaches it in few requests). It stands for the user's bot process, and like one it talks back
 * through Gatehouse's HTTP API ({@link #talkTo}): it sets its presence and requests the members of a guild.
 */
public final class SampleBot implements AutoCloseable {
    /** The answer header that asks Gatehouse for JSON arrays of up to that many events (see the README). */
    private static final String BATCH_HEADER = "Gatehouse-Batch";
    private static final String BATCH = "1000";
    private final HttpServer server;
    private final String secret;
    private final LongAdder events = new LongAdder();
    private final LongAdder unauthorized = new LongAdder();
    private static final Pattern GUILD_ID = Pattern.compile("\"guild_id\"\\s*:\\s*\"(\\d+)\"");
    /** The first guild an event named: the guild whose members the bot asks for. */
    private final AtomicLong someGuild = new AtomicLong();

    public SampleBot(String secret) throws IOException {
        this.secret = secret;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** The URL to give gatehouse as {@code eventHandler.url}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/events";
    }

    /** Events received. */
    public long events() {
        return events.sum();
    }

    /** Requests refused for a wrong or missing secret. */
    public long unauthorized() {
        return unauthorized.sum();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex; InputStream in = ex.getRequestBody()) {
            if (!"POST".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            if (!secret.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                unauthorized.increment();
                ex.sendResponseHeaders(401, -1);
                return;
            }
            byte[] body = in.readAllBytes();
            events.add(count(body));
            if (someGuild.get() == 0) {
                Matcher m = GUILD_ID.matcher(new String(body, 0, Math.min(body.length, 4096), StandardCharsets.UTF_8));
                if (m.find()) {
                    someGuild.compareAndSet(0, Long.parseLong(m.group(1)));
                }
            }
            ex.getResponseHeaders().add(BATCH_HEADER, BATCH); // it takes arrays: Gatehouse batches what is waiting
            ex.sendResponseHeaders(204, -1);
        }
    }

    private static int count(byte[] body) throws IOException {
        try (JsonParser p = SimJson.JSON.createParser(body)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_ARRAY) {
                return t == JsonToken.START_OBJECT ? 1 : 0;
            }
            int n = 0;
            while (p.nextToken() == JsonToken.START_OBJECT) {
                p.skipChildren();
                n++;
            }
            return n;
        }
    }

    /**
     * Talks back through Gatehouse's HTTP API on a thread of its own, as a bot process would: sets its presence on
     * every shard, then, once an event has named a guild, requests that guild's members. Prints what it got.
     *
     * @param secret the API's Authorization value, empty when the API needs none
     */
    public void talkTo(String apiUrl, String secret) {
        Thread.ofVirtual().name("sample-bot-api").start(() -> {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            try {
                HttpResponse<String> presence = post(http, apiUrl + "/presence?timeout=60000", secret,
                        "{\"status\":\"online\",\"activities\":[{\"name\":\"the Gatehouse demo\",\"type\":0}]}");
                System.err.println("sample bot: POST /presence -> " + presence.statusCode());
                for (int i = 0; i < 600 && someGuild.get() == 0; i++) {
                    Thread.sleep(100);
                }
                long guild = someGuild.get();
                if (guild == 0) {
                    System.err.println("sample bot: no event named a guild within a minute; no member request");
                    return;
                }
                HttpResponse<String> members = post(http, apiUrl + "/guilds/" + guild + "/members/request?timeout=60000",
                        secret, "{\"query\":\"\",\"limit\":0}");
                String text = members.body();
                int count = text.split("\"joined_at\"", -1).length - 1;
                System.err.println("sample bot: POST /guilds/" + guild + "/members/request -> " + members.statusCode() + ", "
                        + count + " members");
            } catch (IOException e) {
                System.err.println("sample bot: the API does not answer: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private static HttpResponse<String> post(HttpClient http, String url, String secret, String json)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(90))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (!secret.isEmpty()) {
            b.header("Authorization", secret);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
