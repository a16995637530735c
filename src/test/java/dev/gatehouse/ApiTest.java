package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The API's server end to end (simulator, PostgreSQL, Gatehouse, real sockets): authorization, the errors of bad
 * requests, a stalled half request, the operators' routes and the Prometheus text of {@code /metrics}; and that
 * the secret never reaches a log line or an answer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiTest {
    static final String SECRET = "api-secret-" + java.util.UUID.randomUUID();
    static final ObjectMapper JSON = new ObjectMapper();

    Harness h;
    ApiClient api;
    ApiClient anonymous;
    final List<String> logLines = Collections.synchronizedList(new ArrayList<>());
    final Handler capture = new Handler() {
        final SimpleFormatter f = new SimpleFormatter();

        @Override
        public void publish(LogRecord r) {
            logLines.add(f.format(r));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    Level rootLevel;

    @BeforeAll
    void start() throws Exception {
        Logger root = Logger.getLogger("");
        rootLevel = root.getLevel();
        root.setLevel(Level.ALL);
        capture.setLevel(Level.ALL);
        root.addHandler(capture);
        int port = ApiClient.freePort();
        h = new Harness(Harness.world(2, 20, 50), "--api.port=" + port, "--api.bind=0.0.0.0", "--api.secret=" + SECRET,
                "--reshard.guildsPerShard=15", // 20 guilds need 2 shards of 15; 80% of 2 x 15 (24) is not reached
                "--api.requestDeadlineMs=1000"); // the stalled requests are cut after 1 s
        api = new ApiClient("http://127.0.0.1:" + port, SECRET);
        anonymous = new ApiClient("http://127.0.0.1:" + port, "");
        h.awaitLoaded();
    }

    @AfterAll
    void stop() {
        h.close();
        Logger.getLogger("").removeHandler(capture);
        Logger.getLogger("").setLevel(rootLevel);
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    @Test
    void everyRouteButTheProbesNeedsTheSecret() throws Exception {
        assertEquals(200, anonymous.get("/healthz").statusCode());
        assertTrue(List.of(200, 503).contains(anonymous.get("/readyz").statusCode()));
        for (String path : List.of("/shards", "/metrics", "/status", "/guilds/1", "/users/1", "/nowhere")) {
            HttpResponse<String> r = anonymous.get(path);
            assertEquals(401, r.statusCode(), path);
            assertEquals("Authorization", json(r).path("field").asText(), path);
            assertEquals("Gatehouse", r.headers().firstValue("WWW-Authenticate").orElse(""), path);
        }
        ApiClient wrong = new ApiClient(api.base, SECRET + "x");
        assertEquals(401, wrong.get("/shards").statusCode());
        assertEquals(401, new ApiClient(api.base, SECRET.substring(1)).get("/shards").statusCode());
        assertEquals(200, api.get("/shards").statusCode());
    }

    @Test
    void badRequestsGetErrorsNamingWhatWasWrong() throws Exception {
        HttpResponse<String> badId = api.get("/guilds/abc");
        assertEquals(400, badId.statusCode());
        assertEquals("guild_id", json(badId).path("field").asText());
        assertTrue(json(badId).path("error").asText().contains("snowflake"), badId.body());
        assertEquals(400, api.get("/guilds/0").statusCode());
        assertEquals(400, api.get("/guilds/99999999999999999999").statusCode());
        HttpResponse<String> badLimit = api.get("/guilds/1/members?limit=5000");
        assertEquals(400, badLimit.statusCode());
        assertEquals("limit", json(badLimit).path("field").asText());
        assertEquals(404, api.get("/nowhere").statusCode());
        assertEquals(404, api.get("/guilds/1").statusCode());
        HttpResponse<String> wrongMethod = api.http.send(api.request("/guilds/1").DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, wrongMethod.statusCode());
        assertEquals("GET", wrongMethod.headers().firstValue("Allow").orElse(""));
        HttpResponse<String> notJson = api.post("/presence", "{status: online");
        assertEquals(400, notJson.statusCode());
        assertEquals("body", json(notJson).path("field").asText());
        HttpResponse<String> badStatus = api.post("/presence", "{\"status\":\"asleep\"}");
        assertEquals(400, badStatus.statusCode());
        assertEquals("status", json(badStatus).path("field").asText());
        HttpResponse<String> unknownField = api.post("/guilds/1/voice-state", "{\"channel_id\":null,\"self_mutt\":true}");
        assertEquals(400, unknownField.statusCode());
        assertEquals("self_mutt", json(unknownField).path("field").asText());
        HttpResponse<String> noChannel = api.post("/guilds/1/voice-state", "{}");
        assertEquals("channel_id", json(noChannel).path("field").asText());
        String longName = "x".repeat(100);
        StringBuilder activities = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            activities.append(i == 0 ? "" : ",").append("{\"name\":\"").append(longName).append("\",\"type\":0}");
        }
        HttpResponse<String> oversizeCommand = api.post("/shards/0/presence", "{\"status\":\"online\",\"activities\":[" + activities + "]}");
        assertEquals(400, oversizeCommand.statusCode());
        assertTrue(json(oversizeCommand).path("error").asText().contains("4096"), oversizeCommand.body());
        HttpResponse<String> noShard = api.post("/shards/7/presence", "{\"status\":\"online\"}");
        assertEquals(409, noShard.statusCode());
        HttpResponse<String> bothQueries = api.post("/guilds/1/members/request", "{\"query\":\"a\",\"limit\":1,\"user_ids\":[\"1\"]}");
        assertEquals(400, bothQueries.statusCode());
        assertEquals(200, api.get("/healthz").statusCode(), "the server still answers");
    }

    @Test
    void anOversizedBodyIs413() throws Exception {
        String head = "POST /presence HTTP/1.1\r\nHost: x\r\nAuthorization: " + SECRET + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: 200000\r\n\r\n";
        try (Socket s = new Socket("127.0.0.1", URI.create(api.base).getPort())) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String answer = readAll(s.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            assertTrue(answer.contains("\"field\":\"body\""), answer);
        }
        assertEquals(200, api.get("/healthz").statusCode());
    }

    @Test
    void aStalledHalfRequestHoldsNothingAndIsClosed() throws Exception {
        int port = URI.create(api.base).getPort();
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.setSoTimeout(90_000);
                OutputStream out = s.getOutputStream();
                out.write(("POST /presence HTTP/1.1\r\nHost: x\r\nAuthorization: " + SECRET
                        + "\r\nContent-Length: 80\r\n\r\n{\"status\":").getBytes(StandardCharsets.US_ASCII));
                if (i % 2 == 1) {
                    out.write("GET /shards HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII)); // a head cut short too
                }
                out.flush();
                stalled.add(s);
            }
            for (int i = 0; i < 20; i++) {
                assertEquals(200, api.get("/shards").statusCode(), "served while 20 clients stall");
            }
            for (Socket s : stalled) {
                InputStream in = s.getInputStream();
                int b;
                try {
                    do {
                        b = in.read();
                    } while (b != -1);
                } catch (java.net.SocketException reset) {
                    b = -1;
                }
                assertEquals(-1, b, "the server closed the stalled connection");
            }
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    @Test
    void keepAliveAnswersPipelinedRequestsInOrder() throws Exception {
        long guild = h.sim.onWorld(w -> w.guildIds()).iterator().next();
        // loaded (the shard has every GUILD_CREATE) is not stored yet: wait for the guild's members, straight from
        // the database, so that the page read below has members to answer once the locked table frees
        Harness.await("the guild's members stored", 30_000, () -> {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(h.jdbcUrl, TestPostgres.server().user(), "");
                 java.sql.Statement st = c.createStatement();
                 java.sql.ResultSet rs = st.executeQuery("SELECT 1 FROM members WHERE guild_id = " + guild + " AND left_at IS NULL")) {
                return rs.next();
            } catch (java.sql.SQLException e) {
                return false;
            }
        }, () -> h.gatehouse.statusLine(0));
        try (Socket s = new Socket("127.0.0.1", URI.create(api.base).getPort())) {
            s.setSoTimeout(30_000);
            String health = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
            // a page of members is never cached: it always queries the database
            String read = "GET /guilds/" + guild + "/members?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: " + SECRET
                    + "\r\n\r\n";
            // the database read answers later than the probes after it (the table is locked until its query is seen
            // waiting): the answers must still come in order
            try (ApiStateTest.MembersLocked lock = new ApiStateTest.MembersLocked(h.jdbcUrl);
                 java.sql.Statement st = lock.c.createStatement()) {
                s.getOutputStream().write((read + health + health).getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                Harness.await("the members read waits for the lock", 30_000, () -> {
                    try (var clear = st.executeQuery("SELECT pg_stat_clear_snapshot()"); // the locker is in a transaction
                         var rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                            + " AND wait_event_type = 'Lock' AND query LIKE '%next_after%'")) { // the page's query
                        return rs.next() && rs.getInt(1) > 0;
                    } catch (java.sql.SQLException e) {
                        return false;
                    }
                }, () -> {
                    try (var rs = st.executeQuery("SELECT string_agg(wait_event_type || ' ' || left(query, 80), ' / ')"
                            + " FROM pg_stat_activity WHERE state <> 'idle'")) {
                        byte[] got = s.getInputStream().readNBytes(Math.min(400, s.getInputStream().available()));
                        return "the earlier request must be the slow one; " + (rs.next() ? rs.getString(1) : "") + "; got "
                                + new String(got, StandardCharsets.US_ASCII);
                    } catch (java.sql.SQLException | IOException e) {
                        return e.toString();
                    }
                });
            }
            InputStream in = s.getInputStream();
            StringBuilder got = new StringBuilder();
            while (count(got.toString(), "\"alive\"") < 2 || !got.toString().contains("\"left_at\"")) {
                int b = in.read();
                assertTrue(b >= 0, "connection closed early: " + got);
                got.append((char) b);
            }
            assertEquals(3, count(got.toString(), "HTTP/1.1 200"), got.toString());
            assertTrue(got.indexOf("\"left_at\"") < got.indexOf("\"alive\""), "the member's answer first: " + got);
        }
    }

    @Test
    void reshardRefusalsAre400AndShardsTellWhereReshardingStands() throws Exception {
        HttpResponse<String> same = api.post("/reshard", "{\"shards\":2}");
        assertEquals(400, same.statusCode(), same.body());
        assertEquals("shards", json(same).path("field").asText(), same.body());
        assertTrue(json(same).path("error").asText().contains("2"), same.body());
        assertEquals(400, api.post("/reshard", "{\"shards\":0}").statusCode());
        HttpResponse<String> tooFew = api.post("/reshard", "{\"shards\":1}");
        assertEquals(400, tooFew.statusCode(), "one shard of 15 cannot hold 20 guilds: " + tooFew.body());
        assertEquals("shards", json(tooFew).path("field").asText(), tooFew.body());
        assertTrue(json(tooFew).path("error").asText().contains("at least 2 shards"), tooFew.body());
        assertEquals(400, api.post("/reshard", "{\"shards\":\"four\"}").statusCode());
        HttpResponse<String> unknown = api.post("/reshard", "{\"shard\":4}");
        assertEquals(400, unknown.statusCode(), unknown.body());
        assertEquals("shard", json(unknown).path("field").asText());
        assertEquals(401, anonymous.post("/reshard", "{\"shards\":4}").statusCode());
        JsonNode reshard = json(api.get("/shards")).path("reshard");
        assertEquals(2, reshard.path("from_shards").asInt(), reshard.toString());
        assertTrue(List.of("idle", "refused").contains(reshard.path("phase").asText()), reshard.toString());
    }

    @Test
    void shardsAndReadinessDescribeEveryShard() throws Exception {
        JsonNode shards = json(api.get("/shards")).path("shards");
        assertEquals(2, shards.size());
        for (JsonNode s : shards) {
            assertEquals("READY", s.path("state").asText());
            assertTrue(s.path("guilds").asInt() > 0);
            assertEquals(s.path("guilds").asInt(), s.path("guilds_loaded").asInt());
            assertTrue(s.has("session") && s.has("seq") && s.has("latency_ms") && s.has("resumes") && s.has("identifies")
                    && s.has("commands_queued") && s.has("last_close_code"), s.toString());
        }
        Harness.await("readiness", 60_000, () -> {
            try {
                return anonymous.get("/readyz").statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        }, () -> "not ready");
        JsonNode status = json(api.get("/status"));
        assertEquals(2, status.path("shards").size());
        assertTrue(status.path("database").asBoolean());
    }

    @Test
    void metricsAreValidPrometheusTextWithEveryFamily() throws Exception {
        HttpResponse<String> r = api.get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                r.headers().toString());
        Map<String, String> types = new HashMap<>();
        Set<String> samples = new HashSet<>();
        Pattern sample = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\",?)*\\})?"
                + " ([-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN))( -?[0-9]+)?$");
        for (String line : r.body().split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] p = line.split(" ");
                assertEquals(4, p.length, line);
                assertTrue(Set.of("counter", "gauge", "histogram", "summary", "untyped", "info").contains(p[3]), line);
                assertEquals(null, types.put(p[2], p[3]), "family declared twice: " + line);
            } else if (line.startsWith("# HELP ") || line.isEmpty()) {
                continue;
            } else {
                assertFalse(line.startsWith("#"), line);
                Matcher m = sample.matcher(line);
                assertTrue(m.matches(), "not a Prometheus sample line: " + line);
                String name = m.group(1);
                String family = familyOf(name, types);
                assertTrue(types.containsKey(family), "sample before its # TYPE: " + line);
                samples.add(name + (m.group(2) == null ? "" : m.group(2)));
            }
        }
        for (String s : List.of("gatehouse_shard_up{shard=\"0\"}", "gatehouse_shard_up{shard=\"1\"}",
                "gatehouse_shard_state{shard=\"0\",state=\"READY\"}", "gatehouse_delivery_queued", "gatehouse_ring_backlog",
                "gatehouse_state_lag_dispatches", "gatehouse_state_rows_written_total", "gatehouse_delivery_delivered_total",
                "gatehouse_delivery_dropped_total", "gatehouse_delivery_refused_total", "gatehouse_db_pool_total",
                "gatehouse_shard_resumes_total{shard=\"1\"}", "gatehouse_shard_identifies_total{shard=\"0\"}",
                "gatehouse_shard_last_close_code{shard=\"0\"}", "gatehouse_shard_heartbeat_latency_seconds{shard=\"0\"}",
                "gatehouse_state_replays_skipped_total", "gatehouse_delivery_replays_skipped_total")) {
            assertTrue(samples.contains(s), "no sample " + s);
        }
        assertTrue(samples.stream().anyMatch(s -> s.startsWith("gatehouse_events_received_total{type=\"GUILD_CREATE\"}")));
        assertTrue(samples.stream().anyMatch(s -> s.startsWith("jvm_memory_used_bytes")), "JVM metrics");
        assertFalse(r.body().contains(SECRET));
    }

    private static String familyOf(String name, Map<String, String> types) {
        if (types.containsKey(name)) {
            return name;
        }
        for (String suffix : List.of("_total", "_created", "_count", "_sum", "_bucket", "_info")) {
            if (name.endsWith(suffix) && types.containsKey(name.substring(0, name.length() - suffix.length()))) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return name;
    }

    @Test
    void theSecretAppearsInNoLogLineAndNoAnswer() throws Exception {
        new ApiClient(api.base, SECRET + "-wrong").get("/shards");
        for (String path : List.of("/shards", "/status", "/metrics", "/")) {
            assertFalse(api.get(path).body().contains(SECRET), path);
        }
        assertFalse(h.gatehouse.config().toString().contains(SECRET), "config's toString");
        synchronized (logLines) {
            assertFalse(logLines.isEmpty(), "the log capture works");
            for (String line : logLines) {
                assertFalse(line.contains(SECRET), "secret in a log line: " + line);
            }
        }
    }

    private static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        try {
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (java.net.SocketException reset) {
            // the server closes after a 413; what it sent before counts
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
