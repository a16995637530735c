package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The simulator speaks Discord's gateway protocol and enforces its rules with Discord's close codes. */
class SimulatorProtocolTest {
    private static final String TOKEN = "probe-token";
    private static final String GUILDS_AND_MESSAGES = "513";
    private Simulator sim;

    private Simulator start(SimOptions o) throws Exception {
        sim = new Simulator(o.withToken(TOKEN));
        return sim;
    }

    private Simulator start() throws Exception {
        return start(SimOptions.defaults().withWorld(2, 40, 20).withTraffic(0));
    }

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    private static String identify(String token, int shard, int shards, String intents) {
        return "{\"op\":2,\"d\":{\"token\":\"" + token + "\",\"intents\":" + intents + ",\"properties\":{\"os\":\"linux\","
                + "\"browser\":\"probe\",\"device\":\"probe\"},\"shard\":[" + shard + "," + shards + "]}}";
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static String text(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    private GatewayProbe connect() throws Exception {
        GatewayProbe p = GatewayProbe.open(sim, "v=10&encoding=json");
        assertEquals(10, number(p.next(), "op"), "Hello comes first");
        return p;
    }

    @Test
    void helloThenHeartbeatsAreAcknowledged() throws Exception {
        start();
        GatewayProbe p = GatewayProbe.open(sim, "v=10&encoding=json");
        String hello = p.next();
        assertEquals(10, number(hello, "op"));
        assertEquals(41250, number(hello, "heartbeat_interval"));
        p.send("{\"op\":1,\"d\":null}");
        assertEquals(11, number(p.next(), "op"));
    }

    @Test
    void identifyGetsReadyThenOneGuildCreatePerGuildOfTheShard() throws Exception {
        start();
        long expected = sim.onWorld(w -> w.guildIds().stream().filter(g -> (g >> 22) % 2 == 1).count());
        GatewayProbe p = connect();
        p.send(identify("Bot " + TOKEN, 1, 2, GUILDS_AND_MESSAGES));
        String ready = p.next();
        assertEquals("READY", text(ready, "t"));
        assertEquals(1, number(ready, "s"));
        assertTrue(ready.contains("\"shard\":[1,2]"), ready);
        assertTrue(ready.contains("\"resume_gateway_url\":\"ws://127.0.0.1:"), ready);
        for (long i = 0; i < expected; i++) {
            String g = p.next();
            assertEquals("GUILD_CREATE", text(g, "t"));
            assertEquals(i + 2, number(g, "s"));
            assertEquals(1, (Long.parseLong(text(g.substring(g.indexOf("\"d\":")), "id")) >> 22) % 2);
        }
    }

    private int closeAfter(String... payloads) throws Exception {
        GatewayProbe p = connect();
        for (String s : payloads) {
            p.send(s);
        }
        return p.closeCode();
    }

    @Test
    void identifyIsValidatedWithDiscordsCloseCodes() throws Exception {
        start();
        assertEquals(4003, closeAfter("{\"op\":3,\"d\":{\"status\":\"online\",\"since\":null,\"activities\":[],\"afk\":false}}"),
                "payload before identify");
        assertEquals(4004, closeAfter(identify("wrong", 0, 2, GUILDS_AND_MESSAGES)), "bad token");
        assertEquals(4005, closeAfter(identify(TOKEN, 0, 2, GUILDS_AND_MESSAGES), identify(TOKEN, 0, 2, GUILDS_AND_MESSAGES)),
                "second identify");
        assertEquals(4010, closeAfter(identify(TOKEN, 2, 2, GUILDS_AND_MESSAGES)), "shard id outside the shard count");
        assertEquals(4013, closeAfter(identify(TOKEN, 0, 2, Long.toString(1L << 40))), "unknown intent bits");
        assertEquals(4002, closeAfter("{\"op\":2,\"d\":"), "malformed payload");
        assertEquals(4002, closeAfter("{\"op\":1,\"d\":\"" + "x".repeat(5000) + "\"}"), "payload over 4096 bytes");
        assertEquals(4001, closeAfter("{\"op\":99,\"d\":null}"), "unknown opcode");
    }

    @Test
    void aBadVersionIsClosedWith4012() throws Exception {
        start();
        GatewayProbe p = GatewayProbe.open(sim, "v=6&encoding=json");
        assertEquals(4012, p.closeCode());
    }

    @Test
    void privilegedIntentsNeedPermission() throws Exception {
        start(SimOptions.defaults().withWorld(1, 10, 10).withTraffic(0).withLimits(1, 5000, 41250, 2500, false));
        assertEquals(4014, closeAfter(identify(TOKEN, 0, 1, "2")), "GUILD_MEMBERS not enabled");
    }

    @Test
    void tooManyGuildsForTheShardCountNeedsSharding() throws Exception {
        start(SimOptions.defaults().withWorld(1, 30, 5).withTraffic(0).withLimits(1, 5000, 41250, 10, true));
        assertEquals(4011, closeAfter(identify(TOKEN, 0, 1, GUILDS_AND_MESSAGES)));
    }

    @Test
    void moreThan120PayloadsInAMinuteAreRateLimited() throws Exception {
        start();
        String[] beats = new String[121];
        java.util.Arrays.fill(beats, "{\"op\":1,\"d\":null}");
        assertEquals(4008, closeAfter(beats));
    }

    @Test
    void aClientThatStopsHeartbeatingIsClosed() throws Exception {
        start(SimOptions.defaults().withWorld(1, 5, 5).withTraffic(0).withLimits(1, 5000, 300, 2500, true));
        GatewayProbe p = connect();
        assertEquals(4009, p.closeCode());
    }

    @Test
    void oneIdentifyPerBucketPerInterval() throws Exception {
        start(SimOptions.defaults().withWorld(4, 20, 5).withTraffic(0).withLimits(2, 5000, 41250, 2500, true));
        GatewayProbe first = connect();
        first.send(identify(TOKEN, 0, 4, GUILDS_AND_MESSAGES));
        assertEquals("READY", text(first.next(), "t"));
        GatewayProbe otherBucket = connect();
        otherBucket.send(identify(TOKEN, 1, 4, GUILDS_AND_MESSAGES));
        assertEquals("READY", text(otherBucket.next(), "t"));
        GatewayProbe sameBucket = connect();
        sameBucket.send(identify(TOKEN, 2, 4, GUILDS_AND_MESSAGES));
        String answer = sameBucket.next();
        assertEquals(9, number(answer, "op"), answer);
        assertTrue(answer.contains("\"d\":false"), answer);
        assertEquals(1, sim.bucketViolations());
    }

    @Test
    void resumeReplaysWhatWasMissedThenSaysResumed() throws Exception {
        start(SimOptions.defaults().withWorld(2, 40, 20).withTraffic(0).withLimits(16, 0, 41250, 2500, true));
        GatewayProbe p = connect();
        p.send(identify(TOKEN, 0, 1, GUILDS_AND_MESSAGES));
        String ready = p.next();
        String session = text(ready, "session_id");
        long guilds = sim.onWorld(w -> (long) w.guildIds().size());
        for (long i = 0; i < guilds; i++) {
            p.next();
        }
        p.close(4000, "going away, will resume"); // 1000 or 1001 would end the session
        p.closeCode();
        GatewayProbe again = connect();
        again.send("{\"op\":6,\"d\":{\"token\":\"" + TOKEN + "\",\"session_id\":\"" + session + "\",\"seq\":3}}");
        for (long s = 4; s <= guilds + 1; s++) {
            assertEquals(s, number(again.next(), "s"), "replayed in order");
        }
        assertEquals("RESUMED", text(again.next(), "t"));
        GatewayProbe ended = connect();
        ended.send(identify(TOKEN, 0, 1, GUILDS_AND_MESSAGES));
        String secondReady = ended.next();
        assertEquals("READY", text(secondReady, "t"));
        String second = text(secondReady, "session_id");
        for (long i = 0; i < guilds; i++) {
            ended.next(); // Java-WebSocket stops reading once closing and may drop the socket before its close frame
        }                 // leaves while frames still arrive: that is a dropped connection, which stays resumable
        ended.closeBlocking(); // 1000: the session ends and cannot be resumed
        ended.closeCode();
        GatewayProbe late = connect();
        late.send("{\"op\":6,\"d\":{\"token\":\"" + TOKEN + "\",\"session_id\":\"" + second + "\",\"seq\":1}}");
        assertEquals(9, number(late.next(), "op"), "a session closed with 1000 is not resumable");
        GatewayProbe unknown = connect();
        unknown.send("{\"op\":6,\"d\":{\"token\":\"" + TOKEN + "\",\"session_id\":\"nope\",\"seq\":3}}");
        String invalid = unknown.next();
        assertEquals(9, number(invalid, "op"));
    }
}
