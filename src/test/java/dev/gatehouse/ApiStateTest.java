package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.sim.SimOptions;
import dev.gatehouse.sim.Simulator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * State reads through the API end to end: single flight on a miss (500 concurrent reads, one query), a failing load
 * reaching every waiter and not kept, and read-after-delivery: a bot that reads, while it handles each event, the
 * entity the event changed always finds the state including that event.
 */
class ApiStateTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Holds the members table locked from another connection, so a load of a member waits until released. */
    static final class MembersLocked implements AutoCloseable {
        final Connection c;

        MembersLocked(String jdbcUrl) throws Exception {
            c = DriverManager.getConnection(jdbcUrl, TestPostgres.server().user(), "");
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("LOCK TABLE members IN ACCESS EXCLUSIVE MODE");
            }
        }

        @Override
        public void close() throws Exception {
            c.rollback();
            c.close();
        }
    }

    static long[] someMembers(Harness h, int n) {
        List<long[]> out = new ArrayList<>();
        for (String key : h.sim.onWorld(w -> w.memberKeys())) {
            String[] gu = key.split(":");
            out.add(new long[] {Long.parseLong(gu[0]), Long.parseLong(gu[1])});
        }
        Collections.shuffle(out, new java.util.Random(7));
        long[] flat = new long[2 * n];
        for (int i = 0; i < n; i++) {
            flat[2 * i] = out.get(i)[0];
            flat[2 * i + 1] = out.get(i)[1];
        }
        return flat;
    }

    @Test
    void concurrentReadsOfAMissShareOneQueryAndAFailedLoadReachesEveryWaiterAndIsNotKept() throws Exception {
        int port = ApiClient.freePort();
        try (Harness h = new Harness(Harness.world(1, 10, 0), "--api.port=" + port)) {
            h.awaitLoaded();
            // loaded means the shards received every GUILD_CREATE, not that the state writer stored them yet: a read
            // before that answers 404 (seen on a machine at load 23)
            Harness.await("the state to store every dispatch", 60_000, () -> h.gatehouse.state().eventsStored() >= h.sim.dispatched(),
                    () -> h.gatehouse.statusLine(0));
            ApiClient api = new ApiClient("http://127.0.0.1:" + port, "");
            long[] m = someMembers(h, 2);

            // single flight: 500 concurrent reads of one uncached member
            String path = "/guilds/" + m[0] + "/members/" + m[1];
            long queries = h.gatehouse.reads().queries("member");
            long asked = h.gatehouse.cache().requests();
            List<CompletableFuture<HttpResponse<String>>> reads = new ArrayList<>();
            try (MembersLocked lock = new MembersLocked(h.jdbcUrl)) {
                for (int i = 0; i < 500; i++) {
                    reads.add(api.getAsync(path));
                }
                Harness.await("500 reads waiting on the cache", 120_000,
                        () -> h.gatehouse.cache().requests() - asked >= 500, () -> (h.gatehouse.cache().requests() - asked) + " arrived");
            }
            Set<String> bodies = new HashSet<>();
            for (CompletableFuture<HttpResponse<String>> f : reads) {
                HttpResponse<String> r = f.join();
                assertEquals(200, r.statusCode(), r.body());
                bodies.add(r.body());
            }
            assertEquals(1, h.gatehouse.reads().queries("member") - queries, "database queries for 500 concurrent reads");
            assertEquals(1, bodies.size(), "every reader got the same body");
            assertEquals(Long.toString(m[1]), JSON.readTree(bodies.iterator().next()).path("data").path("user").path("id").asText());
            assertEquals(200, api.get(path).statusCode());
            assertEquals(1, h.gatehouse.reads().queries("member") - queries, "the next read is a hit");

            // a failing load: every waiter gets the error, nothing is kept, the next read queries again
            String other = "/guilds/" + m[2] + "/members/" + m[3];
            long before = h.gatehouse.reads().queries("member");
            long asked2 = h.gatehouse.cache().requests();
            List<CompletableFuture<HttpResponse<String>>> failing = new ArrayList<>();
            try (MembersLocked lock = new MembersLocked(h.jdbcUrl)) {
                for (int i = 0; i < 200; i++) {
                    failing.add(api.getAsync(other));
                }
                Harness.await("200 reads waiting on the cache", 120_000,
                        () -> h.gatehouse.cache().requests() - asked2 >= 200, () -> "");
                try (Statement st = lock.c.createStatement()) {
                    Harness.await("the load's query to be blocked", 30_000, () -> {
                        try (var rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                                + " AND query LIKE '%FROM members m LEFT JOIN users u ON u.id = m.user_id WHERE m.guild_id%'"
                                + " AND wait_event_type = 'Lock'")) {
                            rs.next();
                            return rs.getInt(1) == 1;
                        } catch (java.sql.SQLException e) {
                            return false;
                        }
                    }, () -> "");
                    st.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                            + " AND query LIKE '%FROM members m LEFT JOIN users u ON u.id = m.user_id WHERE m.guild_id%'");
                }
                for (CompletableFuture<HttpResponse<String>> f : failing) {
                    HttpResponse<String> r = f.join();
                    assertEquals(503, r.statusCode(), r.body());
                    assertTrue(JSON.readTree(r.body()).path("error").asText().contains("database"), r.body());
                }
            }
            assertEquals(1, h.gatehouse.reads().queries("member") - before, "one failed query for 200 waiters");
            HttpResponse<String> retried = api.get(other);
            assertEquals(200, retried.statusCode(), retried.body());
            assertEquals(2, h.gatehouse.reads().queries("member") - before, "the failure was not kept: the next read queried");
        }
    }

    /** A bot that, handling each event, reads through the API the entity it changed and checks the state includes it. */
    static final class ReadingBot implements AutoCloseable {
        final HttpServer server;
        volatile ApiClient api;
        final Map<String, AtomicInteger> checked = new ConcurrentHashMap<>();
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());

        ReadingBot() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            server.createContext("/", this::handle);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/events";
        }

        private void handle(HttpExchange ex) throws IOException {
            try (ex) {
                JsonNode event = JSON.readTree(ex.getRequestBody().readAllBytes());
                if (api != null || "GUILD_CREATE".equals(event.path("data").path("t").asText())) { // its values, unread
                    check(event.path("shardId").asInt(), event.path("data"));
                }
                ex.sendResponseHeaders(204, -1);
            } catch (Exception e) {
                if (api != null) { // not a read cut short by the shutdown
                    failures.add("bot failed: " + e);
                }
                ex.sendResponseHeaders(204, -1);
            }
        }

        private void check(int shard, JsonNode frame) throws Exception {
            String type = frame.path("t").asText();
            long seq = frame.path("s").asLong();
            JsonNode d = frame.path("d");
            String what = type + " seq " + seq;
            switch (type) {
                case "MESSAGE_CREATE" -> expect(what, read("/messages/" + d.path("id").asText()), s -> true);
                case "MESSAGE_UPDATE" -> expect(what, read("/messages/" + d.path("id").asText()), s -> {
                    for (JsonNode rev : s.path("revisions")) {
                        if (rev.path("seq").asLong() == seq && rev.path("shard_id").asInt() == shard) {
                            return true;
                        }
                    }
                    return false;
                });
                case "MESSAGE_DELETE" -> expect(what, read("/messages/" + d.path("id").asText()),
                        s -> !s.path("deleted_at").isNull());
                case "GUILD_CREATE" -> {
                    String g = d.path("id").asText();
                    seen("g:" + g, d.path("name").asText());
                    d.path("channels").forEach(c -> seen("c:" + c.path("id").asText(), channel(c)));
                    d.path("members").forEach(m -> seen("m:" + g + ":" + m.path("user").path("id").asText(), nick(m)));
                    return;
                }
                case "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE" -> {
                    String key = "m:" + d.path("guild_id").asText() + ":" + d.path("user").path("id").asText();
                    expect(what, read("/guilds/" + d.path("guild_id").asText() + "/members/" + d.path("user").path("id").asText()),
                            s -> notOlder(key, nick(d), nick(s.path("data"))));
                }
                case "GUILD_MEMBER_REMOVE" -> expect(what,
                        read("/guilds/" + d.path("guild_id").asText() + "/members/" + d.path("user").path("id").asText()),
                        s -> !s.path("left_at").isNull());
                case "CHANNEL_CREATE", "CHANNEL_UPDATE" -> expect(what, read("/channels/" + d.path("id").asText()),
                        s -> notOlder("c:" + d.path("id").asText(), channel(d), channel(s.path("data"))));
                case "CHANNEL_DELETE" -> expect(what, read("/channels/" + d.path("id").asText()), s -> !s.path("deleted_at").isNull());
                case "GUILD_UPDATE" -> expect(what, read("/guilds/" + d.path("id").asText()),
                        s -> notOlder("g:" + d.path("id").asText(), d.path("name").asText(), s.path("data").path("name").asText()));
                default -> {
                    return;
                }
            }
            checked.computeIfAbsent(type, k -> new AtomicInteger()).incrementAndGet();
        }

        /** Per entity, the values of its field that earlier events (or its GUILD_CREATE) carried. */
        final Map<String, Set<String>> earlier = new ConcurrentHashMap<>();

        private void seen(String key, String value) {
            earlier.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(value);
        }

        /**
         * The read holds the event's value, or one no earlier event carried (a later event already stored: delivery
         * runs behind the state); a value of an earlier event only is a stale read. Records the event's value.
         */
        private boolean notOlder(String key, String event, String read) {
            Set<String> before = earlier.getOrDefault(key, Set.of());
            boolean ok = read.equals(event) || !before.contains(read);
            seen(key, event);
            return ok;
        }

        private static String nick(JsonNode member) {
            JsonNode n = member.path("nick");
            return n.isTextual() ? n.asText() : "(no nick)";
        }

        private static String channel(JsonNode c) {
            return c.path("name").asText() + "|" + c.path("topic").asText("(no topic)");
        }

        private HttpResponse<String> read(String path) throws Exception {
            return api.get(path);
        }

        private void expect(String what, HttpResponse<String> r, java.util.function.Predicate<JsonNode> includes) throws IOException {
            if (r.statusCode() != 200) {
                failures.add(what + ": read answered " + r.statusCode() + " " + r.body());
            } else if (!includes.test(JSON.readTree(r.body()))) {
                failures.add(what + ": the state read does not include the event: " + r.body().substring(0, Math.min(300, r.body().length())));
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void aBotThatReadsWhatEachEventChangedFindsTheStateIncludingIt() throws Exception {
        int port = ApiClient.freePort();
        // a small world (8 guilds of 20 members), every entity read once before the traffic: an update then meets a
        // cached entry, which a missed invalidation would answer stale
        SimOptions world = SimOptions.defaults().withWorld(2, 8, 20).withTraffic(300).withToken("test-token").withTruth(true);
        String db = TestPostgres.freshDatabase();
        // a spill of this run's own: the close below moves what the bot did not take to the spill, and a shared
        // data/spill would deliver those events (of another database) first in the next run, every read a 404
        String spill = Harness.spillDir(db);
        try (Simulator sim = new Simulator(world); ReadingBot bot = new ReadingBot()) {
            List<String> args = List.of("--config=" + Harness.emptyConfig(), "--discord.token=test-token",
                    "--rest.url=" + sim.restUrl(), "--eventHandler.url=" + bot.url(), "--eventHandler.secret=s",
                    "--db.url=" + db, "--db.user=" + TestPostgres.server().user(), "--delivery.spillDir=" + spill,
                    "--status.intervalSeconds=0", "--api.port=" + port, "--delivery.afterState=true");
            Gatehouse g = Gatehouse.start(ConfigLoader.load(args, Map.of()));
            try {
                ApiClient warm = new ApiClient("http://127.0.0.1:" + port, "");
                for (long guild : sim.onWorld(w -> w.guildIds())) {
                    Harness.await("guild " + guild + " stored", 60_000, () -> {
                        try {
                            return warm.get("/guilds/" + guild).statusCode() == 200;
                        } catch (IOException | InterruptedException e) {
                            return false;
                        }
                    }, () -> "");
                    for (JsonNode c : JSON.readTree(warm.get("/guilds/" + guild + "/channels").body()).path("items")) {
                        warm.get("/channels/" + c.path("data").path("id").asText());
                    }
                }
                for (String key : sim.onWorld(w -> w.memberKeys())) {
                    warm.get("/guilds/" + key.replace(":", "/members/"));
                }
                bot.api = warm;
                sim.startTraffic();
                Harness.await("edits, deletes, leaves and member, channel and guild updates the bot checked", 120_000,
                        () -> count(bot, "MESSAGE_UPDATE") >= 20 && count(bot, "MESSAGE_DELETE") >= 10
                                && count(bot, "GUILD_MEMBER_REMOVE") >= 3 && count(bot, "MESSAGE_CREATE") >= 50
                                && count(bot, "GUILD_MEMBER_UPDATE") >= 5 && count(bot, "CHANNEL_UPDATE") >= 3
                                && count(bot, "GUILD_UPDATE") >= 1,
                        () -> new TreeMap<>(bot.checked).toString() + " " + g.statusLine(0));
                sim.stopTraffic();
            } finally {
                bot.api = null; // the API closes before delivery drains: the bot stops reading first
                g.close(5_000);
            }
            synchronized (bot.failures) {
                assertTrue(bot.failures.isEmpty(), bot.failures.size() + " reads older than their event, e.g. "
                        + bot.failures.subList(0, Math.min(5, bot.failures.size())));
            }
            assertFalse(bot.checked.isEmpty());
        } finally {
            TestPostgres.delete(java.nio.file.Path.of(spill));
        }
    }

    /**
     * What a bot pages through, from {@code after=0} (Discord's first-page cursor) to the last {@code next_after}: exactly
     * the world's members, presences and voice states of every guild, each presence naming its user as Discord's do.
     */
    @Test
    void pagesFromTheFirstCursorListExactlyTheWorldsMembersPresencesAndVoiceStates() throws Exception {
        int port = ApiClient.freePort();
        SimOptions world = SimOptions.defaults().withWorld(2, 6, 40).withToken("test-token").withTruth(true);
        String db = TestPostgres.freshDatabase();
        String spill = Harness.spillDir(db);
        try (Simulator sim = new Simulator(world); TestBot bot = new TestBot("s")) {
            List<String> args = List.of("--config=" + Harness.emptyConfig(), "--discord.token=test-token",
                    "--rest.url=" + sim.restUrl(), "--eventHandler.url=" + bot.url(), "--eventHandler.secret=s",
                    "--db.url=" + db, "--db.user=" + TestPostgres.server().user(), "--delivery.spillDir=" + spill,
                    "--status.intervalSeconds=0", "--api.port=" + port);
            Gatehouse g = Gatehouse.start(ConfigLoader.load(args, Map.of()));
            try {
                ApiClient api = new ApiClient("http://127.0.0.1:" + port, "");
                dev.gatehouse.sim.WorldSnapshot truth = sim.truth();
                Map<Long, Set<Long>> members = new TreeMap<>();
                Map<Long, Set<Long>> presences = new TreeMap<>();
                Map<Long, Set<Long>> voice = new TreeMap<>();
                for (dev.gatehouse.sim.WorldSnapshot.Member m : truth.members()) {
                    members.computeIfAbsent(m.guildId(), k -> new java.util.TreeSet<>()).add(m.userId());
                }
                for (dev.gatehouse.sim.WorldSnapshot.Presence p : truth.presences()) {
                    presences.computeIfAbsent(p.guildId(), k -> new java.util.TreeSet<>()).add(p.userId());
                }
                for (dev.gatehouse.sim.WorldSnapshot.VoiceState v : truth.voiceStates()) {
                    voice.computeIfAbsent(v.guildId(), k -> new java.util.TreeSet<>()).add(v.userId());
                }
                assertFalse(presences.isEmpty(), "the world has presences");
                assertFalse(voice.isEmpty(), "the world has voice states");
                for (long guild : members.keySet()) {
                    Harness.await("guild " + guild + "'s members stored", 60_000,
                            () -> {
                                try {
                                    return paged(api, guild, "members", "user").equals(members.get(guild));
                                } catch (AssertionError notYet) { // 404 until the guild is stored
                                    return false;
                                }
                            }, () -> "");
                    assertEquals(members.get(guild), paged(api, guild, "members", "user"), "members of guild " + guild);
                    assertEquals(presences.getOrDefault(guild, Set.of()), paged(api, guild, "presences", "user"),
                            "presences of guild " + guild + " by their user.id");
                    assertEquals(voice.getOrDefault(guild, Set.of()), paged(api, guild, "voice-states", "user_id"),
                            "voice states of guild " + guild);
                }
                HttpResponse<String> bad = api.get("/guilds/" + members.keySet().iterator().next() + "/members?after=-1");
                assertEquals(400, bad.statusCode(), bad.body());
                assertTrue(JSON.readTree(bad.body()).path("error").asText().contains("'after'"), bad.body());
                long first = members.keySet().iterator().next();
                HttpResponse<String> zeros = api.get("/guilds/" + first + "/members?after=00&limit=1000");
                HttpResponse<String> zero = api.get("/guilds/" + first + "/members?after=0&limit=1000");
                assertEquals(200, zeros.statusCode(), "after=00 is the first page as after=0 is: " + zeros.body());
                assertEquals(zero.body(), zeros.body());
            } finally {
                g.close(5_000);
            }
        } finally {
            TestPostgres.delete(java.nio.file.Path.of(spill));
        }
    }

    /**
     * Every page of a guild's list, 7 at a time from {@code after=0}: the user ids the items name ({@code user.id} or
     * {@code user_id}); an id listed twice or a page that fails is an assertion error.
     */
    static Set<Long> paged(ApiClient api, long guild, String list, String idField) {
        Set<Long> ids = new java.util.TreeSet<>();
        String after = "0";
        try {
            while (true) {
                HttpResponse<String> r = api.get("/guilds/" + guild + "/" + list + "?limit=7&after=" + after);
                assertEquals(200, r.statusCode(), list + " page after " + after + ": " + r.body());
                JsonNode page = JSON.readTree(r.body());
                for (JsonNode item : page.path("items")) {
                    JsonNode id = "user".equals(idField) ? item.path("data").path("user").path("id") : item.path("data").path(idField);
                    assertTrue(id.isTextual(), list + " item without its user's id: " + item);
                    assertTrue(ids.add(Long.parseLong(id.asText())), list + " listed " + id + " twice");
                }
                if (page.path("items").size() < 7) {
                    return ids;
                }
                after = page.path("next_after").asText();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static int count(ReadingBot bot, String type) {
        AtomicInteger n = bot.checked.get(type);
        return n == null ? 0 : n.get();
    }
}
