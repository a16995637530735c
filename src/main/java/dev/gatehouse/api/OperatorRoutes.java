package dev.gatehouse.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.delivery.Forwarder;
import dev.gatehouse.shard.ShardManager;
import dev.gatehouse.shard.ShardStatus;
import dev.gatehouse.state.StateWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The operators' routes: {@code /healthz} and {@code /readyz} (open, for container probes), {@code /metrics},
 * {@code /shards}, {@code /status} (the page's data) and the status page itself at {@code /}. The page is a
 * static shell holding no data, so it is open; it fetches {@code /status} with the secret it asks for and keeps
 * in sessionStorage (on loopback without a secret it needs none).
 */
final class OperatorRoutes {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final byte[] PAGE = page();

    private final ShardManager shards;
    private final Forwarder delivery;
    private final StateWriter state;
    private final Health health;
    private final Metrics metrics;
    private final DispatchTap tap;

    OperatorRoutes(ShardManager shards, Forwarder delivery, StateWriter state, Health health, Metrics metrics, DispatchTap tap) {
        this.shards = shards;
        this.delivery = delivery;
        this.state = state;
        this.health = health;
        this.metrics = metrics;
        this.tap = tap;
    }

    void addTo(Routes routes) {
        routes.open("GET", "/healthz", r -> done(Answer.json(200, NODES.objectNode().put("status", "alive"))))
                .open("GET", "/readyz", r -> {
                    ObjectNode n = health.readiness();
                    return done(Answer.json(n.path("ready").asBoolean() ? 200 : 503, n));
                })
                .open("GET", "/", r -> done(new Answer(200, "text/html; charset=utf-8", PAGE, Map.of())))
                .add("GET", "/metrics", r -> done(new Answer(200, metrics.contentType(), metrics.scrape(), Map.of())))
                .add("GET", "/shards", r -> {
                    ObjectNode n = NODES.objectNode();
                    n.set("shards", Health.shardsJson(shards.statuses()));
                    return done(Answer.json(200, n));
                })
                .add("GET", "/status", r -> done(Answer.json(200, status())));
    }

    private ObjectNode status() {
        List<ShardStatus> all = shards.statuses();
        ObjectNode n = NODES.objectNode();
        n.set("shards", Health.shardsJson(all));
        n.set("history", health.history());
        n.put("database", health.databaseReachable());
        n.putObject("bot").put("reachable", health.botReachable()).put("queued", delivery.queued());
        n.put("ready", health.readiness().path("ready").asBoolean());
        n.putObject("totals").put("dispatches received", tap.total()).put("rows written", state.rowsWritten())
                .put("events delivered", delivery.delivered()).put("events queued", delivery.queued())
                .put("events dropped", delivery.dropped()).put("events refused", delivery.refused())
                .put("state rejected", state.eventsRejected());
        return n;
    }

    private static CompletableFuture<Answer> done(Answer a) {
        return CompletableFuture.completedFuture(a);
    }

    private static byte[] page() {
        try (InputStream in = OperatorRoutes.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IllegalStateException("status.html is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
