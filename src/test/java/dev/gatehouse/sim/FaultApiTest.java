package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fault API on the simulator's REST port, called with the JDK HttpClient: authenticated, precise errors, real faults. */
class FaultApiTest {
    private static final String TOKEN = "fault-api-token-do-not-echo";
    private final HttpClient http = HttpClient.newHttpClient();
    private Simulator sim;

    @BeforeEach
    void start() throws Exception {
        sim = new Simulator(SimOptions.defaults().withWorld(1, 5, 10).withTraffic(0).withToken(TOKEN)
                .withLimits(16, 0, 41250, 2500, true));
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private HttpResponse<String> call(String method, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path) throws Exception {
        return call("POST", path, "Bot " + TOKEN);
    }

    private RawGatewaySocket identified() throws Exception {
        RawGatewaySocket c = new RawGatewaySocket(sim);
        assertTrue(c.nextMessage().text().contains("\"op\":10"));
        c.send("{\"op\":2,\"d\":{\"token\":\"" + TOKEN + "\",\"intents\":513,\"properties\":{\"os\":\"linux\","
                + "\"browser\":\"raw\",\"device\":\"raw\"},\"shard\":[0,1]}}");
        for (int i = 0; i < 6; i++) {
            assertTrue(c.nextMessage().text().startsWith("{\"t\":\""), "READY and 5 GUILD_CREATEs");
        }
        return c;
    }

    @Test
    void withoutTheTokenItIs401AndNeverEchoesTheToken() throws Exception {
        HttpResponse<String> none = call("POST", "/sim/shards/0/reconnect", null);
        assertEquals(401, none.statusCode());
        HttpResponse<String> wrong = call("POST", "/sim/shards/0/reconnect", "Bot " + TOKEN + "x");
        assertEquals(401, wrong.statusCode());
        assertFalse(wrong.body().contains(TOKEN), wrong.body());
        assertEquals(401, call("GET", "/sim/sessions", "Bot nope").statusCode());
    }

    /** The call is refused with the status, and its message holds every fragment. */
    private void assertRefused(String method, String path, int status, String... fragments) throws Exception {
        HttpResponse<String> r = call(method, path, "Bot " + TOKEN);
        assertEquals(status, r.statusCode(), path + ": " + r.body());
        for (String f : fragments) {
            assertTrue(r.body().contains(f), path + ": " + r.body() + " should say " + f);
        }
    }

    @Test
    void badRequestsNameTheBadParameter() throws Exception {
        assertRefused("POST", "/sim/shards/x/reconnect", 400, "'shard'", "'x'");
        assertRefused("POST", "/sim/shards/0/close", 400, "'code' is required");
        assertRefused("POST", "/sim/shards/0/close?code=99", 400, "'code'", "1000 to 4999", "'99'");
        assertRefused("POST", "/sim/shards/0/invalidate?resumable=maybe", 400, "'resumable' must be true or false, got 'maybe'");
        assertRefused("POST", "/sim/shards/0/split?frames=1", 400, "'frames'");
        assertRefused("POST", "/sim/shards/0/explode", 404, "'explode'", "reconnect");
        assertRefused("GET", "/sim/shards/0/reconnect", 405, "POST");
        assertRefused("POST", "/sim/shards/3/reconnect", 409, "shard 3 has no connected session");
    }

    @Test
    void faultsReachTheShardsConnection() throws Exception {
        try (RawGatewaySocket c = identified()) {
            assertEquals(200, post("/sim/shards/0/reconnect").statusCode());
            assertTrue(c.nextMessage().text().contains("\"op\":7"));
            assertEquals(200, post("/sim/shards/0/invalidate?resumable=true").statusCode());
            assertTrue(c.nextMessage().text().contains("\"op\":9,\"d\":true"));
            assertEquals(200, post("/sim/shards/0/split?frames=3").statusCode());
            HttpResponse<String> beat = call("POST", "/sim/shards/0/heartbeat", TOKEN); // the bare token works too
            assertEquals(200, beat.statusCode());
            assertEquals("{\"shard\":0,\"fault\":\"heartbeat\"}", beat.body());
            RawGatewaySocket.Message split = c.nextMessage();
            assertTrue(split.text().contains("\"op\":1"), split.text());
            assertEquals(3, split.frames());
            assertEquals(200, post("/sim/shards/0/malformed").statusCode());
            assertTrue(c.nextMessage().text().startsWith("{\"t\":\"MESSAGE_CREATE\",\"s\":"), "a frame that is not JSON");
            HttpResponse<String> sessions = call("GET", "/sim/sessions", "Bot " + TOKEN);
            assertEquals(200, sessions.statusCode());
            assertTrue(sessions.body().matches("\\[\\{\"session_id\":\"[0-9a-f]+\",\"shard\":0,\"dispatches\":6}]"), sessions.body());
            assertEquals(200, post("/sim/shards/0/close?code=4000").statusCode());
            EOFException closed = org.junit.jupiter.api.Assertions.assertThrows(EOFException.class, c::nextMessage);
            assertEquals("close frame 4000", closed.getMessage());
        }
        try (RawGatewaySocket c = identified()) {
            assertEquals(200, post("/sim/shards/0/drop").statusCode());
            EOFException dropped = org.junit.jupiter.api.Assertions.assertThrows(EOFException.class, c::nextMessage);
            assertEquals("connection ended between frames", dropped.getMessage(), "no close frame");
        }
    }
}
