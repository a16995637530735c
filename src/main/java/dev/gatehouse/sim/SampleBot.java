package dev.gatehouse.sim;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * The demo's bot: an HTTP endpoint on loopback that checks the shared secret and counts the events it is
 * given (one object, or an array of them). It stands for the user's bot process.
 */
public final class SampleBot implements AutoCloseable {
    private final HttpServer server;
    private final String secret;
    private final LongAdder events = new LongAdder();
    private final LongAdder unauthorized = new LongAdder();

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
            events.add(count(in.readAllBytes()));
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

    @Override
    public void close() {
        server.stop(0);
    }
}
