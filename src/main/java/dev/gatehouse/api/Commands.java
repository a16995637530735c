package dev.gatehouse.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.discord.Intent;
import dev.gatehouse.discord.Opcode;
import dev.gatehouse.shard.ShardManager;
import dev.gatehouse.shard.ShardStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Commands to Discord: presence (op 3), voice state (op 4) and member requests (op 8). Each is validated against
 * Discord's rules before anything is sent (known fields, types, limits, at most {@link #MAX_PAYLOAD} bytes
 * serialized), routed to its shard ({@code (guild_id >> 22) % totalShards}), waits while that shard is not READY
 * (resuming, reconnecting) up to the caller's {@code timeout} in a bounded FIFO of that shard, released in order
 * at READY/RESUMED, and goes through the shard's command limiter. A shard with {@link #MAX_WAITING} commands already
 * waiting for the limiter, or {@link #MAX_PARKED} waiting for READY, answers 429 with Retry-After. The shard's
 * futures complete on cluster threads; everything after them runs on the API's executor.
 */
final class Commands {
    /** Discord closes a connection (4002) for a payload over this many bytes. */
    static final int MAX_PAYLOAD = 4096;
    /**
     * Commands one shard may hold waiting for room in Discord's send limit (about 116 commands a minute once the
     * heartbeats' reserve is kept); more are refused with 429 rather than queued for minutes.
     */
    static final int MAX_WAITING = 16;
    /**
     * Commands one shard may hold while it is not READY (resuming, reconnecting); they go out in their order after
     * READY/RESUMED, and more are refused with 429.
     */
    static final int MAX_PARKED = 64;
    /** How often parked commands look at their shard's status when no READY/RESUMED was seen. */
    static final long RECHECK_MS = 100;
    /** Commands the limiter lets out per minute, for Retry-After estimates. */
    static final int PER_MINUTE = 110;
    static final long DEFAULT_TIMEOUT_MS = 10_000;
    private static final com.fasterxml.jackson.databind.ObjectMapper READER = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final System.Logger LOG = System.getLogger(Commands.class.getName());
    private static final Set<String> STATUSES = Set.of("online", "dnd", "idle", "invisible", "offline");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The running shard set, looked up per request: a reshard replaces it (and the shard count). */
    private final java.util.function.Supplier<ShardManager> shards;
    private final long intents;
    private final MemberRequests members;
    private final ScheduledExecutorService timer;
    /** The API's executor: every continuation of a command runs here, never on a cluster thread. */
    private final Executor work;
    /** Per shard, the last command handed: the next one goes after it. */
    private final Map<Integer, CompletableFuture<?>> tails = new ConcurrentHashMap<>();
    /**
     * A command waiting, in its shard's FIFO, for the shard to be READY; {@code guildId} (0 for a command addressed to
     * a shard) routed it to its shard under {@code totalShards}, so that a reshard's switch routes it again.
     */
    private record Parked(String payload, long deadline, long timeoutMs, CompletableFuture<Integer> out, long guildId,
                          int totalShards, long arrival) {
    }
    /** Under {@code parked}'s lock: numbers the parked commands in their arrival, the order a reroute keeps. */
    private long arrivals;
    /** Per shard, the commands waiting for READY/RESUMED, oldest first; also the lock of {@link #recheck}. */
    private final Map<Integer, ArrayDeque<Parked>> parked = new HashMap<>();
    private ScheduledFuture<?> recheck;

    Commands(java.util.function.Supplier<ShardManager> shards, long intents, MemberRequests members, ScheduledExecutorService timer) {
        this.shards = shards;
        this.intents = intents;
        this.members = members;
        this.timer = timer;
        this.work = timer;
    }

    /** The shard of a guild, as Discord routes it. */
    int shardOf(long guildId) {
        return (int) ((guildId >> 22) % shards.get().totalShards());
    }

    /** {@code POST /guilds/{guild_id}/voice-state}: join, move or leave ({@code channel_id null}) a voice channel. */
    CompletableFuture<Answer> voiceState(ApiRequest r) {
        long guildId = r.snowflake("guild_id");
        JsonNode body = r.json();
        only(body, "channel_id", "self_mute", "self_deaf");
        if (!body.has("channel_id")) {
            throw ApiError.badRequest("channel_id", "is required: the voice channel to join, or null to leave");
        }
        ObjectNode d = NODES.objectNode();
        d.put("guild_id", Long.toString(guildId));
        JsonNode channel = body.get("channel_id");
        if (channel.isNull()) {
            d.putNull("channel_id");
        } else {
            d.put("channel_id", Long.toString(Snowflakes.parse("channel_id", channel)));
        }
        d.put("self_mute", bool(body, "self_mute"));
        d.put("self_deaf", bool(body, "self_deaf"));
        int shard = shardOf(guildId);
        // the shard that took it: a reshard's switch while it waited routes it to the guild's shard of the new set
        return send(shard, guildId, Opcode.VOICE_STATE_UPDATE, d, timeout(r)).thenApply(q -> accepted(shardOf(guildId), q));
    }

    /** {@code POST /presence} (every shard) and {@code POST /shards/{shard_id}/presence}. */
    CompletableFuture<Answer> presence(ApiRequest r, boolean allShards) {
        JsonNode body = r.json();
        ObjectNode d = presencePayload(body);
        long timeout = timeout(r);
        List<Integer> targets = new ArrayList<>();
        if (allShards) {
            for (ShardStatus s : shards.get().statuses()) {
                targets.add(s.id());
            }
        } else {
            targets.add(shardIdOf(r));
        }
        List<CompletableFuture<ObjectNode>> sent = new ArrayList<>();
        for (int shard : targets) {
            sent.add(send(shard, 0, Opcode.PRESENCE_UPDATE, d, timeout).handle((q, e) -> {
                ObjectNode n = NODES.objectNode().put("shard", shard);
                if (e == null) {
                    return n.put("queued", true).put("commands_queued", q);
                }
                Throwable c = e.getCause() != null ? e.getCause() : e;
                n.put("queued", false).put("error", c.getMessage()).put("status", c instanceof ApiError a ? a.status : 500);
                if (c instanceof ApiError a && a.headers.containsKey("Retry-After")) {
                    n.put("retry_after", Long.parseLong(a.headers.get("Retry-After")));
                }
                return n;
            }));
        }
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).thenApply(v -> {
            ArrayNode results = NODES.arrayNode();
            int worst = 202;
            long retryAfter = 0;
            int accepted = 0;
            for (CompletableFuture<ObjectNode> f : sent) {
                ObjectNode n = f.join();
                results.add(n);
                if (n.path("queued").asBoolean()) {
                    accepted++;
                } else {
                    worst = Math.max(worst, n.path("status").asInt());
                }
                retryAfter = Math.max(retryAfter, n.path("retry_after").asLong(0));
            }
            ObjectNode out = NODES.objectNode();
            out.set("shards", results);
            // 207 only for a mixed outcome; when every shard refused, the answer is the refusal (429, 504, ...)
            Answer a = Answer.json(worst == 202 ? 202 : accepted == 0 ? worst : 207, out);
            return retryAfter > 0 ? a.with("Retry-After", Long.toString(retryAfter)) : a;
        });
    }

    private int shardIdOf(ApiRequest r) {
        String text = r.segments().get("shard_id");
        int id;
        try {
            id = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("shard_id", "must be a whole number, got '" + Snowflakes.clip(text) + "'");
        }
        status(id);
        return id;
    }

    private static ObjectNode presencePayload(JsonNode body) {
        only(body, "status", "activities", "since", "afk");
        String status = body.path("status").asText(null);
        if (!body.path("status").isTextual() || !STATUSES.contains(status)) {
            throw ApiError.badRequest("status", "must be one of online, dnd, idle, invisible, offline, got "
                    + Snowflakes.clip(String.valueOf(body.get("status"))));
        }
        ObjectNode d = NODES.objectNode();
        JsonNode since = body.get("since");
        if (since == null || since.isNull()) {
            d.putNull("since");
        } else if (since.isIntegralNumber() && since.asLong() >= 0) {
            d.put("since", since.asLong());
        } else {
            throw ApiError.badRequest("since", "must be null or unix time in milliseconds, got " + Snowflakes.clip(since.toString()));
        }
        ArrayNode activities = d.putArray("activities");
        JsonNode given = body.path("activities");
        if (!given.isMissingNode() && !given.isNull()) {
            if (!given.isArray()) {
                throw ApiError.badRequest("activities", "must be an array of {name, type[, url, state]}");
            }
            for (int i = 0; i < given.size(); i++) {
                activities.add(activity(given.get(i), "activities[" + i + "]"));
            }
        }
        d.put("status", status);
        d.put("afk", bool(body, "afk"));
        return d;
    }

    private static ObjectNode activity(JsonNode a, String field) {
        if (!a.isObject()) {
            throw ApiError.badRequest(field, "must be an object {name, type[, url, state]}");
        }
        onlyIn(a, field + ".", "name", "type", "url", "state");
        JsonNode name = a.get("name");
        if (name == null || !name.isTextual() || name.asText().isEmpty() || name.asText().length() > 128) {
            throw ApiError.badRequest(field + ".name", "must be a string of 1 to 128 characters");
        }
        JsonNode type = a.get("type");
        if (type == null || !type.isIntegralNumber() || type.asInt() < 0 || type.asInt() > 5) {
            throw ApiError.badRequest(field + ".type", "must be an activity type from 0 to 5 (playing, streaming, listening,"
                    + " watching, custom, competing)");
        }
        ObjectNode out = NODES.objectNode().put("name", name.asText()).put("type", type.asInt());
        for (String optional : new String[] {"url", "state"}) {
            JsonNode v = a.get(optional);
            if (v != null && !v.isNull()) {
                if (!v.isTextual() || v.asText().length() > 512) {
                    throw ApiError.badRequest(field + "." + optional, "must be a string of at most 512 characters or null");
                }
                out.put(optional, v.asText());
            }
        }
        return out;
    }

    /**
     * {@code POST /guilds/{guild_id}/members/request}: op 8 with a nonce; answers once every GUILD_MEMBERS_CHUNK of
     * that nonce arrived, with all their members, {@code not_found} and presences.
     */
    CompletableFuture<Answer> requestMembers(ApiRequest r) {
        long guildId = r.snowflake("guild_id");
        JsonNode body = r.json();
        only(body, "query", "limit", "user_ids", "presences");
        ObjectNode d = NODES.objectNode();
        d.put("guild_id", Long.toString(guildId));
        boolean byQuery = body.has("query") && !body.get("query").isNull();
        boolean byIds = body.has("user_ids") && !body.get("user_ids").isNull();
        if (byQuery == byIds) {
            throw ApiError.badRequest("query", "or user_ids: exactly one is required (query \"\" with limit 0 asks for every member)");
        }
        if (byQuery) {
            JsonNode q = body.get("query");
            if (!q.isTextual() || q.asText().length() > 100) {
                throw ApiError.badRequest("query", "must be a username prefix of at most 100 characters (\"\" for all)");
            }
            JsonNode limit = body.get("limit");
            if (limit == null || !limit.isIntegralNumber() || limit.asInt() < 0 || limit.asInt() > (q.asText().isEmpty() ? Integer.MAX_VALUE : 100)) {
                throw ApiError.badRequest("limit", "is required with query: a whole number from 0 to 100 (0 with query \"\" means every member)");
            }
            if (q.asText().isEmpty() && (intents & Intent.GUILD_MEMBERS.bit()) == 0) {
                throw ApiError.badRequest("query", "\"\" (every member) needs the GUILD_MEMBERS intent, which this gateway does not"
                        + " identify with (Discord would close the connection with 4013)");
            }
            d.put("query", q.asText());
            d.put("limit", limit.asInt());
        } else {
            JsonNode limit = body.get("limit"); // optional with user_ids (discord.js sends 0)
            if (limit != null && !limit.isNull()) {
                if (!limit.isIntegralNumber() || limit.asInt() < 0 || limit.asInt() > 100) {
                    throw ApiError.badRequest("limit", "with user_ids is optional: a whole number from 0 to 100");
                }
                d.put("limit", limit.asInt());
            }
            JsonNode ids = body.get("user_ids");
            ArrayNode out = d.putArray("user_ids");
            if (ids.isArray()) {
                if (ids.isEmpty() || ids.size() > 100) {
                    throw ApiError.badRequest("user_ids", "must hold 1 to 100 snowflakes, got " + ids.size());
                }
                for (int i = 0; i < ids.size(); i++) {
                    out.add(Long.toString(Snowflakes.parse("user_ids[" + i + "]", ids.get(i))));
                }
            } else {
                out.add(Long.toString(Snowflakes.parse("user_ids", ids)));
            }
        }
        boolean presences = bool(body, "presences");
        if (presences && (intents & Intent.GUILD_PRESENCES.bit()) == 0) {
            throw ApiError.badRequest("presences", "needs the GUILD_PRESENCES intent, which this gateway does not identify with");
        }
        d.put("presences", presences);
        long timeout = timeout(r);
        int shard = shardOf(guildId);
        status(shard);
        String nonce = members.register(guildId);
        d.put("nonce", nonce);
        CompletableFuture<Answer> answer = members.answer(nonce);
        CompletableFuture<Integer> sent;
        try {
            sent = send(shard, guildId, Opcode.REQUEST_GUILD_MEMBERS, d, timeout);
        } catch (ApiError e) {
            members.cancel(nonce);
            throw e;
        }
        sent.whenComplete((q, e) -> {
            if (e != null) {
                members.cancel(nonce);
                answer.completeExceptionally(e.getCause() != null ? e.getCause() : e);
            }
        });
        ScheduledFuture<?> giveUp = timer.schedule(() -> {
            String seen = members.cancel(nonce);
            if (!seen.isEmpty()) {
                answer.complete(new ApiError(504, "timeout", "shard " + shard + " did not answer the member request within "
                        + timeout + " ms (" + seen + " arrived)").answer());
            }
        }, timeout, TimeUnit.MILLISECONDS);
        // answered (or refused) before the timeout: the timer task goes, rather than waiting up to 600 s for nothing
        return answer.whenComplete((a, e) -> giveUp.cancel(false));
    }

    /**
     * Sends one command to a shard once it is READY (waiting at most {@code timeoutMs}); completes, on the API's
     * executor, with the shard's queued commands after it, or fails with the ApiError to answer. A command for a
     * guild ({@code guildId} not 0) still waiting when a reshard switches goes to the guild's shard of the new set.
     */
    CompletableFuture<Integer> send(int shard, long guildId, int op, ObjectNode d, long timeoutMs) {
        ObjectNode payload = NODES.objectNode().put("op", op);
        payload.set("d", d);
        String text = payload.toString();
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PAYLOAD) {
            throw new ApiError(400, "body", "the command is " + bytes + " bytes serialized; Discord closes the connection for"
                    + " more than " + MAX_PAYLOAD);
        }
        CompletableFuture<Integer> out = new CompletableFuture<>();
        synchronized (parked) {
            // one snapshot of the count routes this command; commands parked under an older count move first, so a
            // command for a guild never overtakes one parked for it before a reshard's switch
            int total = shards.get().totalShards();
            if (guildId != 0) {
                shard = (int) ((guildId >> 22) % total);
            }
            reroute(total);
            boolean ready = status(shard).ready();
            Parked p = new Parked(text, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs), timeoutMs, out, guildId,
                    total, arrivals++);
            ArrayDeque<Parked> q = parked.computeIfAbsent(shard, k -> new ArrayDeque<>());
            if (ready && q.isEmpty()) {
                handOut(shard, p); // nothing parked before it: straight to the shard, still behind earlier hand-outs
                return out;
            }
            if (q.size() >= MAX_PARKED) {
                out.completeExceptionally(notReady(shard, q.size()));
                return out;
            }
            q.add(p);
        }
        work.execute(this::release);
        return out;
    }

    /**
     * A shard's session became READY or RESUMED (the tap saw it): its parked commands go now rather than at the
     * next check.
     */
    void sessionReady(int shard) {
        boolean any;
        synchronized (parked) {
            ArrayDeque<Parked> q = parked.get(shard);
            any = q != null && !q.isEmpty();
        }
        if (any) {
            try {
                work.execute(this::release);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // the API is closing; this runs on the ring's consumer, which must not fail
            }
        }
    }

    /**
     * On the API's executor: one look at every shard's status; the parked commands of a READY shard are handed in
     * their order, those of another shard past their deadline answered 504. While any command stays parked, one
     * check (for all of them) follows after {@link #RECHECK_MS}, in case the READY/RESUMED dispatch is not seen.
     */
    private void release() {
        ShardManager set = shards.get();
        Map<Integer, ShardStatus> byId = new HashMap<>();
        for (ShardStatus s : set.statuses()) {
            byId.put(s.id(), s);
        }
        long now = System.nanoTime();
        boolean left = false;
        synchronized (parked) {
            reroute(set.totalShards());
            for (Map.Entry<Integer, ArrayDeque<Parked>> e : parked.entrySet()) {
                int shard = e.getKey();
                ArrayDeque<Parked> q = e.getValue();
                ShardStatus s = byId.get(shard);
                if (s != null && s.ready()) {
                    for (Parked p = q.poll(); p != null; p = q.poll()) {
                        handOut(shard, p);
                    }
                    continue;
                }
                for (Iterator<Parked> it = q.iterator(); it.hasNext(); ) {
                    Parked p = it.next();
                    if (now - p.deadline >= 0) {
                        it.remove();
                        p.out.completeExceptionally(new ApiError(504, "timeout", "shard " + shard + " was not READY within "
                                + p.timeoutMs + " ms (it is " + (s == null ? "gone" : s.state()) + "); nothing was sent"));
                    }
                }
                left |= !q.isEmpty();
            }
            if (left && recheck == null) {
                recheck = timer.schedule(() -> {
                    synchronized (parked) {
                        recheck = null;
                    }
                    release();
                }, RECHECK_MS, TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * Under {@code parked}'s lock: after a reshard's switch, the commands parked for a guild under the replaced count
     * move, in their arrival order among the commands waiting there, to the queue of the guild's shard under {@code totalShards} (the same shard id may now hold
     * other guilds); commands addressed to a shard stay with its id.
     */
    private void reroute(int totalShards) {
        Map<Integer, List<Parked>> moved = new HashMap<>();
        for (Map.Entry<Integer, ArrayDeque<Parked>> e : parked.entrySet()) {
            for (Iterator<Parked> it = e.getValue().iterator(); it.hasNext(); ) {
                Parked p = it.next();
                if (p.guildId() != 0 && p.totalShards() != totalShards) {
                    it.remove();
                    moved.computeIfAbsent((int) ((p.guildId() >> 22) % totalShards), k -> new ArrayList<>())
                            .add(new Parked(p.payload(), p.deadline(), p.timeoutMs(), p.out(), p.guildId(), totalShards,
                                    p.arrival()));
                }
            }
        }
        moved.forEach(this::mergeInto);
    }

    /** Under {@code parked}'s lock: {@code list} joins {@code shard}'s queue, in arrival order with those waiting there. */
    private void mergeInto(int shard, List<Parked> list) {
        ArrayDeque<Parked> q = parked.computeIfAbsent(shard, k -> new ArrayDeque<>());
        list.addAll(q);
        list.sort(java.util.Comparator.comparingLong(Parked::arrival));
        q.clear();
        q.addAll(list);
    }

    /**
     * A reshard's switch: the commands the replaced shards had queued and not sent (already answered 202), per old
     * shard id, oldest first. Each goes to its guild's shard of the running set ({@code (guild_id >> 22) % count}),
     * a command without a guild (presence) to the shard with the same id, ahead of every command parked since.
     */
    void handBack(Map<Integer, List<String>> unsent) {
        int total = shards.get().totalShards();
        Map<Integer, List<Parked>> byShard = new HashMap<>();
        synchronized (parked) {
            long first = Long.MIN_VALUE + arrivals; // before anything parked: these were handed to a shard already
            for (Map.Entry<Integer, List<String>> e : unsent.entrySet()) {
                for (String payload : e.getValue()) {
                    long guildId = guildOf(payload);
                    int shard = guildId != 0 ? (int) ((guildId >> 22) % total) : e.getKey();
                    CompletableFuture<Integer> out = new CompletableFuture<>();
                    out.whenComplete((q, x) -> {
                        if (x != null) {
                            LOG.log(System.Logger.Level.WARNING, "a command the replaced shard " + e.getKey() + " had not sent"
                                    + " was not sent by shard " + shard + ": " + x.getMessage());
                        }
                    });
                    byShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(new Parked(payload, System.nanoTime()
                            + TimeUnit.MILLISECONDS.toNanos(DEFAULT_TIMEOUT_MS), DEFAULT_TIMEOUT_MS, out, guildId, total, first++));
                }
            }
            byShard.forEach(this::mergeInto);
        }
        work.execute(this::release);
    }

    /** The guild a queued command payload ({@code {"op":..,"d":{"guild_id":"..."}}}) is for; 0 for none. */
    private static long guildOf(String payload) {
        try {
            JsonNode g = READER.readTree(payload).path("d").path("guild_id");
            return g.isTextual() ? Long.parseUnsignedLong(g.asText()) : 0;
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
    }

    /**
     * Hands one released command to the shard, behind the ones handed before it; a command for a guild goes to the
     * guild's shard of the set running when it is handed (a reshard may have switched since it was routed).
     */
    private void handOut(int routed, Parked p) {
        hand(routed, () -> {
            CompletableFuture<Boolean> queuedIt;
            ShardManager set = shards.get();
            int shard = p.guildId() != 0 ? (int) ((p.guildId() >> 22) % set.totalShards()) : routed;
            try {
                int queued = status(shard).commandsQueued();
                if (queued >= MAX_WAITING) {
                    p.out.completeExceptionally(busy(shard, queued));
                    return CompletableFuture.completedFuture(null);
                }
                queuedIt = set.command(shard, p.payload);
            } catch (RuntimeException e) {
                p.out.completeExceptionally(e);
                return CompletableFuture.completedFuture(null);
            }
            // the shard completes on its cluster thread: the API's work continues on its own executor
            return queuedIt.handleAsync((ok, e) -> {
                if (e != null) {
                    p.out.completeExceptionally(e);
                } else if (!ok) {
                    p.out.completeExceptionally(busy(shard, status(shard).commandsQueued()));
                } else {
                    p.out.complete(status(shard).commandsQueued());
                }
                return null;
            }, work);
        });
    }

    /**
     * Hands commands to one shard one after the other, each once the previous one is in the shard's queue, so that
     * the queue length each sees is exact and a burst is admitted up to {@link #MAX_WAITING}, not by luck.
     */
    private void hand(int shard, java.util.function.Supplier<CompletableFuture<?>> step) {
        tails.compute(shard, (k, tail) -> (tail == null ? CompletableFuture.<Object>completedFuture(null) : tail)
                .handle((v, e) -> null).thenComposeAsync(v -> step.get(), work));
    }

    private static ApiError notReady(int shard, int parkedCommands) {
        long retry = Math.max(1, (long) Math.ceil((parkedCommands + 1) * 60.0 / PER_MINUTE));
        return new ApiError(429, "", "shard " + shard + " has " + parkedCommands + " commands waiting for it to be READY"
                + " again; retry after " + retry + " s", Map.of("Retry-After", Long.toString(retry)));
    }

    private static ApiError busy(int shard, int queued) {
        long retry = Math.max(1, (long) Math.ceil((queued + 1) * 60.0 / PER_MINUTE));
        return new ApiError(429, "", "shard " + shard + " has " + queued + " commands waiting for Discord's send limit (120 per"
                + " 60 s); retry after " + retry + " s", Map.of("Retry-After", Long.toString(retry)));
    }

    private ShardStatus status(int shard) {
        for (ShardStatus s : shards.get().statuses()) {
            if (s.id() == shard) {
                return s;
            }
        }
        throw new ApiError(409, "shard_id", "shard " + shard + " (of " + shards.get().totalShards() + ") is not run by this process");
    }

    private static Answer accepted(int shard, int queued) {
        return Answer.json(202, NODES.objectNode().put("shard", shard).put("queued", true).put("commands_queued", queued));
    }

    private static long timeout(ApiRequest r) {
        return r.number("timeout", DEFAULT_TIMEOUT_MS, 1, 600_000);
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw ApiError.badRequest(field, "must be true or false, got " + Snowflakes.clip(v.toString()));
        }
        return v.asBoolean();
    }

    private static void only(JsonNode body, String... fields) {
        onlyIn(body, "", fields);
    }

    private static void onlyIn(JsonNode body, String prefix, String... fields) {
        Set<String> known = Set.of(fields);
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw ApiError.badRequest(prefix + f, "is not a field of this command; known: " + String.join(", ", fields));
            }
        }
    }
}
