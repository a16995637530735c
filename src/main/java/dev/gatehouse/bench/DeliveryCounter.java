package dev.gatehouse.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bot behind Gatehouse in the peers bench: an HTTP endpoint that takes Gatehouse's deliveries (one event or
 * an array; it asks for arrays of up to 1000 with {@code Gatehouse-Batch}, as the sample bot does), counts them, remembers which guilds' GUILD_CREATEs arrived, and times every MESSAGE_CREATE from
 * its nonce (the simulator's wall clock when it made the message) to its arrival here.
 */
final class DeliveryCounter implements AutoCloseable {
    private static final JsonFactory JSON = new JsonFactory();

    private final HttpServer server;
    private final String secret;
    private final LongAdder events = new LongAdder();
    private final LongAdder posts = new LongAdder();
    private final Set<String> guilds = ConcurrentHashMap.newKeySet();
    private final Object lock = new Object();
    private long[] samples = new long[1 << 16];
    private int count;

    DeliveryCounter(String secret) throws IOException {
        this.secret = secret;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/events";
    }

    long events() {
        return events.sum();
    }

    /** POSTs answered with a 2xx so far. */
    long posts() {
        return posts.sum();
    }

    int guilds() {
        return guilds.size();
    }

    /** Forgets the latencies recorded so far. */
    void mark() {
        synchronized (lock) {
            count = 0;
        }
    }

    /** p50 and p99 in microseconds of the latencies since {@link #mark()}, and how many there were. */
    long[] quantiles() {
        long[] s;
        synchronized (lock) {
            s = Arrays.copyOf(samples, count);
        }
        Arrays.sort(s);
        if (s.length == 0) {
            return new long[] {-1, -1, 0};
        }
        return new long[] {s[Math.min(s.length - 1, s.length / 2)], s[Math.min(s.length - 1, (int) (0.99 * s.length))], s.length};
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex; InputStream in = ex.getRequestBody()) {
            if (!secret.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.sendResponseHeaders(401, -1);
                return;
            }
            read(in.readAllBytes());
            posts.increment();
            ex.getResponseHeaders().add("Gatehouse-Batch", "1000"); // it takes arrays, as the sample bot does
            ex.sendResponseHeaders(204, -1);
        }
    }

    private void read(byte[] body) throws IOException {
        Instant now = Instant.now();
        long nowMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
        try (JsonParser p = JSON.createParser(body)) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    envelope(p, nowMicros);
                }
            } else if (t == JsonToken.START_OBJECT) {
                envelope(p, nowMicros);
            }
        }
    }

    private void envelope(JsonParser p, long nowMicros) throws IOException {
        events.increment();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if (p.nextToken() == JsonToken.START_OBJECT && "data".equals(name)) {
                frame(p, nowMicros);
            } else {
                p.skipChildren();
            }
        }
    }

    private void frame(JsonParser p, long nowMicros) throws IOException {
        String type = null;
        String nonce = null;
        String id = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if ("t".equals(name) && v == JsonToken.VALUE_STRING) {
                type = p.getText();
            } else if ("d".equals(name) && v == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    JsonToken fv = p.nextToken();
                    if ("nonce".equals(f) && fv == JsonToken.VALUE_STRING) {
                        nonce = p.getText();
                    } else if ("id".equals(f) && fv == JsonToken.VALUE_STRING) {
                        id = p.getText();
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
        if ("GUILD_CREATE".equals(type) && id != null) {
            guilds.add(id);
        } else if ("MESSAGE_CREATE".equals(type) && nonce != null) {
            long latency = nowMicros - Long.parseLong(nonce);
            synchronized (lock) {
                if (count == samples.length) {
                    samples = Arrays.copyOf(samples, count * 2);
                }
                samples[count++] = latency;
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
