package dev.gatehouse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;

/**
 * A bot for tests: a real HTTP endpoint that records every event it receives (shard, seq, type) in arrival
 * order, checks the shared secret, and can be stopped and started again on the same port.
 */
final class TestBot implements AutoCloseable {
    private static final JsonFactory JSON = new JsonFactory();

    /** One received event, identified by (shard, session, seq). */
    record Received(int shardId, String sessionId, long seq, String type) {
    }

    /** An event as parsed: the event, the envelope's {@code kind} (empty when absent) and, for signals, the frame's {@code d}. */
    record Parsed(Received event, String kind, Map<String, String> d) {
    }

    /** Gatehouse's own signals (GATEHOUSE_*), kept apart from the gateway's dispatches. */
    private final List<Parsed> signals = new ArrayList<>();
    /** The envelope kind of each GUILD_CREATE/GUILD_DELETE received, in arrival order. */
    private final List<Parsed> guildEvents = new ArrayList<>();
    /** MESSAGE_CREATE and MESSAGE_UPDATE received, with their {@code d} scalars (id, content). */
    private final List<Parsed> messages = new ArrayList<>();

    private final String secret;
    private final int port;
    private final List<Received> received = new ArrayList<>();
    private int unauthorized;
    private HttpServer server;
    /** When not 0, every request is answered with this status (a misrouted deploy, a rotated secret). */
    private volatile int forcedStatus;
    private volatile String forcedRetryAfter = "";
    /** Events the bot refuses with 400 (bad payload for this bot): a request holding one is refused whole. */
    private volatile java.util.function.Predicate<Received> poison = r -> false;
    private int refusedRequests;
    private volatile java.util.function.Predicate<Received> holdOnce = r -> false;
    private final java.util.Set<Received> heldOnce = new java.util.HashSet<>();
    private int heldRequests;
    /** When not 0, every answer carries {@code Gatehouse-Batch: askedBatch} (the bot takes arrays). */
    private volatile int askedBatch;
    private volatile boolean refuseArrays;
    /** Per request that got through (2xx), how many events it held, negative when it was one object, not an array. */
    private final List<Integer> requestSizes = new ArrayList<>();
    /** Shard whose requests are held ({@link #holdShard}), -1 for none; how many holds are left; the answer. */
    private int heldShard = -1;
    private int holdsLeft;
    private int holdStatus;
    private String holdRetryAfter = "";
    /** Every request with events, in arrival order: "shard:status" of its first event. */
    private final List<String> requests = new ArrayList<>();

    TestBot(String secret) throws IOException {
        this.secret = secret;
        this.server = create(0);
        this.port = server.getAddress().getPort();
        server.start();
    }

    private HttpServer create(int p) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", p), 64);
        s.createContext("/", this::handle);
        s.setExecutor(Executors.newFixedThreadPool(8));
        return s;
    }

    /** Answers every request with {@code status} (0 restores normal answers), with an optional Retry-After. */
    void answerAll(int status, String retryAfter) {
        forcedRetryAfter = retryAfter;
        forcedStatus = status;
    }

    /** Answers 503 once to the first request holding each event that matches (a blip in the middle of a stream). */
    void holdOnce(java.util.function.Predicate<Received> events) {
        holdOnce = events;
    }

    synchronized int heldRequests() {
        return heldRequests;
    }

    /** Refuses (HTTP 400, no Gatehouse-Batch) every JSON array, as a bot without batch support would. */
    void refuseArrays(boolean refuse) {
        refuseArrays = refuse;
    }

    /** Asks for JSON arrays of up to {@code n} events in every answer from now on (0: stops asking). */
    void askForBatches(int n) {
        askedBatch = n;
    }

    /** Per request the bot took, in arrival order: its number of events, negative for a single object. */
    synchronized List<Integer> requestSizes() {
        return List.copyOf(requestSizes);
    }

    /**
     * Answers the next {@code times} requests holding events of {@code shard} with {@code status} and Retry-After
     * {@code retryAfter} (a busy bot sheds one stream), then takes them again.
     */
    synchronized void holdShard(int shard, int times, int status, String retryAfter) {
        heldShard = shard;
        holdsLeft = times;
        holdStatus = status;
        holdRetryAfter = retryAfter;
    }

    /** Every request with events so far, in arrival order, as "shard:status" of its first event. */
    synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    /** Refuses (HTTP 400) any request holding an event that matches. */
    void refuse(java.util.function.Predicate<Received> events) {
        poison = events;
    }

    synchronized int refusedRequests() {
        return refusedRequests;
    }

    String url() {
        return "http://127.0.0.1:" + port + "/events";
    }

    /** Stops like a bot being redeployed: requests in progress finish, then connections are refused until {@link #start()}. */
    synchronized void stop() {
        server.stop(1);
        server = null;
    }

    synchronized void start() throws IOException {
        server = create(port);
        server.start();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex; InputStream in = ex.getRequestBody()) {
            byte[] body = in.readAllBytes();
            if (!secret.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                synchronized (this) {
                    unauthorized++;
                }
                ex.sendResponseHeaders(401, -1);
                return;
            }
            int forced = forcedStatus;
            if (forced != 0) {
                if (!forcedRetryAfter.isEmpty()) {
                    ex.getResponseHeaders().add("Retry-After", forcedRetryAfter);
                }
                ex.sendResponseHeaders(forced, -1);
                return;
            }
            if (refuseArrays && body.length > 0 && body[0] == '[') {
                synchronized (this) {
                    refusedRequests++;
                }
                ex.sendResponseHeaders(400, -1);
                return;
            }
            int asked = askedBatch;
            if (asked != 0) {
                ex.getResponseHeaders().add("Gatehouse-Batch", Integer.toString(asked));
            }
            List<Parsed> parsed = parse(body);
            List<Received> events = new ArrayList<>();
            for (Parsed p : parsed) {
                if (!p.event().type().startsWith("GATEHOUSE_")) {
                    events.add(p.event());
                }
            }
            synchronized (this) {
                if (!events.isEmpty() && events.get(0).shardId() == heldShard && holdsLeft > 0) {
                    holdsLeft--;
                    requests.add(heldShard + ":" + holdStatus);
                    ex.getResponseHeaders().add("Retry-After", holdRetryAfter);
                    ex.sendResponseHeaders(holdStatus, -1);
                    return;
                }
                if (!events.isEmpty()) {
                    requests.add(events.get(0).shardId() + ":200");
                }
            }
            if (events.stream().anyMatch(poison)) {
                synchronized (this) {
                    refusedRequests++;
                }
                byte[] why = "{\"message\":\"bad event\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                ex.sendResponseHeaders(400, why.length);
                ex.getResponseBody().write(why);
                return;
            }
            synchronized (this) {
                List<Received> toHold = events.stream().filter(holdOnce).filter(r -> !heldOnce.contains(r)).toList();
                if (!toHold.isEmpty()) {
                    heldOnce.addAll(toHold);
                    heldRequests++;
                    ex.sendResponseHeaders(503, -1);
                    return;
                }
                requestSizes.add(body.length > 0 && body[0] == '[' ? parsed.size() : -parsed.size());
                received.addAll(events);
                for (Parsed p : parsed) {
                    if (p.event().type().startsWith("GATEHOUSE_")) {
                        signals.add(p);
                    } else if (!p.kind().isEmpty()) {
                        guildEvents.add(p);
                    } else if (p.event().type().startsWith("MESSAGE_CREATE") || p.event().type().equals("MESSAGE_UPDATE")) {
                        messages.add(p);
                    }
                }
            }
            ex.sendResponseHeaders(204, -1);
        }
    }

    static List<Parsed> parse(byte[] body) throws IOException {
        List<Parsed> out = new ArrayList<>();
        try (JsonParser p = JSON.createParser(body)) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    out.add(event(p));
                }
            } else {
                out.add(event(p));
            }
        }
        return out;
    }

    private static Parsed event(JsonParser p) throws IOException {
        int shard = -1;
        String session = null;
        long seq = -1;
        String type = null;
        String kind = "";
        Map<String, String> d = new TreeMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if ("shardId".equals(name)) {
                shard = p.getIntValue();
            } else if ("sessionId".equals(name)) {
                session = p.getText();
            } else if ("kind".equals(name)) {
                kind = p.getText();
            } else if ("data".equals(name) && v == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    JsonToken fv = p.nextToken();
                    if ("s".equals(f) && fv == JsonToken.VALUE_NUMBER_INT) {
                        seq = p.getLongValue();
                    } else if ("t".equals(f) && fv == JsonToken.VALUE_STRING) {
                        type = p.getText();
                    } else if ("d".equals(f) && fv == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String k = p.currentName();
                            JsonToken dv = p.nextToken();
                            if (dv.isScalarValue()) {
                                d.put(k, p.getText());
                            } else {
                                p.skipChildren();
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
        return new Parsed(new Received(shard, session, seq, type), kind, d);
    }

    /** Gatehouse's signals received so far, in arrival order. */
    synchronized List<Parsed> signals() {
        return List.copyOf(signals);
    }

    /** MESSAGE_CREATE/MESSAGE_UPDATE events with their {@code d} scalars, in arrival order. */
    synchronized List<Parsed> messages() {
        return List.copyOf(messages);
    }

    /** GUILD_CREATE/GUILD_DELETE events with their envelope kind, in arrival order. */
    synchronized List<Parsed> guildEvents() {
        return List.copyOf(guildEvents);
    }

    synchronized int count() {
        return received.size();
    }

    /**
     * Distinct events received, by (shard, session, seq): a request the bot took while it was being stopped, whose
     * answer never got back, comes again (delivery is at least once) and counts once here.
     */
    synchronized int distinct() {
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (Received r : received) {
            keys.add(r.shardId() + ":" + r.sessionId() + ":" + r.seq());
        }
        return keys.size();
    }

    synchronized int unauthorized() {
        return unauthorized;
    }

    /** Every received event, in arrival order. */
    synchronized List<Received> all() {
        return new ArrayList<>(received);
    }

    /** Received events per shard, in arrival order. */
    synchronized Map<Integer, List<Received>> byShard() {
        Map<Integer, List<Received>> out = new TreeMap<>();
        for (Received r : received) {
            out.computeIfAbsent(r.shardId(), k -> new ArrayList<>()).add(r);
        }
        return out;
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
        }
    }
}
