package dev.gatehouse.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Member requests (op 8) waiting for their answer, by nonce: the GUILD_MEMBERS_CHUNKs of a nonce are gathered
 * until {@code chunk_count} have arrived, then the request completes with every member, the ids not found and
 * the presences; a RATE_LIMITED dispatch of the nonce completes it with a 429 and Discord's retry_after.
 */
final class MemberRequests {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One waiting request. Only the tap thread adds to it; completion is the future's. */
    private static final class Gathering {
        final String guildId;
        final CompletableFuture<Answer> done = new CompletableFuture<>();
        final ArrayNode members = NODES.arrayNode();
        final ArrayNode notFound = NODES.arrayNode();
        final ArrayNode presences = NODES.arrayNode();
        final Set<Integer> chunks = new HashSet<>();
        int count = -1;

        Gathering(String guildId) {
            this.guildId = guildId;
        }
    }

    private final Map<String, Gathering> waiting = new ConcurrentHashMap<>();
    private final AtomicLong nonces = new AtomicLong(System.nanoTime() & 0xffffffL);

    /** True while any request waits: the tap parses chunks only then. */
    boolean waiting() {
        return !waiting.isEmpty();
    }

    /** Registers a request; the nonce (at most 32 bytes, as Discord wants) goes into its op 8. */
    String register(long guildId) {
        String nonce = "gh" + Long.toString(nonces.incrementAndGet(), 36);
        waiting.put(nonce, new Gathering(Long.toString(guildId)));
        return nonce;
    }

    /** Completes when every chunk of the nonce has arrived (or Discord rate limited it). */
    CompletableFuture<Answer> answer(String nonce) {
        Gathering g = waiting.get(nonce);
        return g == null ? CompletableFuture.failedFuture(new IllegalStateException("no request " + nonce)) : g.done;
    }

    /** Gives up on a request (timeout, or the command could not be queued); returns chunks seen and expected. */
    String cancel(String nonce) {
        Gathering g = waiting.remove(nonce);
        if (g == null) {
            return "";
        }
        synchronized (g) {
            return g.chunks.size() + " of " + (g.count < 0 ? "?" : Integer.toString(g.count)) + " chunks";
        }
    }

    /** Tap thread: a GUILD_MEMBERS_CHUNK or RATE_LIMITED frame. */
    void offer(String type, byte[] frame) {
        JsonNode d;
        try {
            d = ApiRequest.JSON.readTree(frame).path("d");
        } catch (IOException e) {
            return; // the state writer and delivery report malformed frames
        }
        if ("RATE_LIMITED".equals(type)) {
            String nonce = d.path("meta").path("nonce").asText("");
            Gathering g = waiting.remove(nonce);
            if (g != null) {
                double retry = d.path("retry_after").asDouble(1);
                ObjectNode extra = NODES.objectNode().put("retry_after", retry).put("opcode", d.path("opcode").asInt(8));
                g.done.complete(new ApiError(429, "", "Discord rate limited this member request (one full request per guild"
                        + " per 30 s); retry after " + retry + " s",
                        Map.of("Retry-After", Long.toString((long) Math.ceil(retry)))).answer(extra));
            }
            return;
        }
        String nonce = d.path("nonce").asText("");
        Gathering g = waiting.get(nonce);
        if (g == null) {
            return;
        }
        boolean complete;
        synchronized (g) {
            if (!g.chunks.add(d.path("chunk_index").asInt(0))) {
                return; // a replayed chunk
            }
            g.count = d.path("chunk_count").asInt(1);
            d.path("members").forEach(g.members::add);
            d.path("not_found").forEach(g.notFound::add);
            d.path("presences").forEach(g.presences::add);
            complete = g.chunks.size() >= g.count;
        }
        if (complete && waiting.remove(nonce) != null) {
            ObjectNode out = NODES.objectNode();
            out.put("guild_id", g.guildId);
            out.set("members", g.members);
            out.set("not_found", g.notFound);
            out.set("presences", g.presences);
            out.put("chunk_count", g.count);
            out.put("nonce", nonce);
            g.done.complete(Answer.json(200, out));
        }
    }
}
