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

    private final java.util.function.Supplier<ShardManager> shards;
    private final Api.Resharding resharding;
    private final Forwarder delivery;
    private final StateWriter state;
    private final Health health;
    private final Metrics metrics;
    private final DispatchTap tap;

    OperatorRoutes(java.util.function.Supplier<ShardManager> shards, Forwarder delivery, StateWriter state, Health health, Metrics metrics, DispatchTap tap,
                   Api.Resharding resharding) {
        this.shards = shards;
        this.resharding = resharding;
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
                    n.set("shards", Health.shardsJson(shards.get().statuses()));
                    n.set("reshard", reshardJson(resharding.status()));
                    return done(Answer.json(200, n));
                })
                .add("POST", "/reshard", r -> done(reshard(r)))
                .add("GET", "/status", r -> done(Answer.json(200, status())));
    }

    private ObjectNode status() {
        List<ShardStatus> all = shards.get().statuses();
        ObjectNode n = NODES.objectNode();
        n.set("shards", Health.shardsJson(all));
        n.set("reshard", reshardJson(resharding.status()));
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

    /** {@code POST /reshard {"shards": n}} (n optional): 202 with where it stands, 400 for a count refused outright. */
    private Answer reshard(ApiRequest r) {
        com.fasterxml.jackson.databind.JsonNode body = r.json();
        for (java.util.Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!"shards".equals(f)) {
                throw ApiError.badRequest(f, "is not a field of POST /reshard; known: shards");
            }
        }
        java.util.OptionalInt count = java.util.OptionalInt.empty();
        com.fasterxml.jackson.databind.JsonNode n = body.get("shards");
        if (n != null && !n.isNull()) {
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1) {
                throw ApiError.badRequest("shards", "must be a whole number of shards above 0, got " + n);
            }
            count = java.util.OptionalInt.of(n.asInt());
        }
        try {
            return Answer.json(202, reshardJson(resharding.request(count)));
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, "shards", e.getMessage());
        }
    }

    static ObjectNode reshardJson(dev.gatehouse.control.ReshardStatus s) {
        return NODES.objectNode().put("phase", s.phase()).put("from_shards", s.fromShards()).put("to_shards", s.toShards())
                .put("shards_ready", s.shardsReady()).put("guilds_loaded", s.guildsLoaded()).put("guilds", s.guilds())
                .put("detail", s.detail());
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
