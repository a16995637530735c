package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A capture built from the real Discord payloads in {@code shared/fixtures/discord-v10} replayed as the world and
 * the traffic: the recorded GUILD_CREATEs after READY, every other dispatch in file order, routed by guild.
 */
class ReplayTest {
    private static final Path FIXTURES = Path.of("..", "shared", "fixtures", "discord-v10");
    private static final String TOKEN = "replay-token";
    private static final JsonFactory JSON = new JsonFactory();
    /** Capture order: guilds first, then a mix; Hello, ACKs and READY are in it and must be skipped. */
    private static final List<String> FILES = List.of("gateway_hello.json", "gateway_guild_create.json", "gateway_ready.json",
            "gateway_message_create.json", "gateway_heartbeat_ack.json", "gateway_message_update.json",
            "gateway_message_delete.json", "gateway_message_reaction_add.json", "gateway_guild_member_update.json",
            "gateway_voice_state_update.json", "gateway_thread_create.json", "gateway_interaction_create.json",
            "gateway_voice_channel_status_update.json");
    private Simulator sim;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    /** One recorded payload, compact, as a line of the capture. */
    private record Line(String json, int op, String type, String d) {
    }

    private static List<Line> capture() throws Exception {
        List<Line> out = new ArrayList<>();
        for (String f : FILES) {
            try (JsonParser p = JSON.createParser(FIXTURES.resolve(f).toFile())) {
                assertEquals(JsonToken.START_ARRAY, p.nextToken(), f);
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    StringWriter w = new StringWriter();
                    try (JsonGenerator g = JSON.createGenerator(w)) {
                        g.copyCurrentStructure(p);
                    }
                    String json = w.toString();
                    int op = Integer.parseInt(json.replaceAll(".*\"op\":(\\d+).*", "$1"));
                    String type = op == 0 ? json.replaceAll(".*?\"t\":\"([A-Z_]+)\".*", "$1") : null;
                    out.add(new Line(json, op, type, dOf(json)));
                }
            }
        }
        return out;
    }

    /** The compact {@code d} of a compact payload (copied again from a parser, so field order is the recorded one). */
    private static String dOf(String payload) throws Exception {
        try (JsonParser p = JSON.createParser(payload)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("d")) {
                    StringWriter w = new StringWriter();
                    try (JsonGenerator g = JSON.createGenerator(w)) {
                        g.copyCurrentStructure(p);
                    }
                    return w.toString();
                }
                p.skipChildren();
            }
        }
        return null;
    }

    private static String topLevelText(String object, String field) throws Exception {
        try (JsonParser p = JSON.createParser(object)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals(field)) {
                    return p.getText();
                }
                p.skipChildren();
            }
        }
        throw new AssertionError("no top-level " + field);
    }

    private static String after(String frame, String marker) {
        int i = frame.indexOf(marker);
        return frame.substring(i + marker.length(), frame.length() - 1);
    }

    private static String text(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    private GatewayProbe identify(int shard, int shards) throws Exception {
        GatewayProbe p = GatewayProbe.open(sim, "v=10&encoding=json");
        assertTrue(p.next().contains("\"op\":10"));
        // every intent: the capture holds reactions and typing, which the simulator filters by intent as Discord does
        p.send("{\"op\":2,\"d\":{\"token\":\"" + TOKEN + "\",\"intents\":" + dev.gatehouse.discord.Intent.all() + ",\"properties\":{\"os\":\"linux\","
                + "\"browser\":\"probe\",\"device\":\"probe\"},\"shard\":[" + shard + "," + shards + "]}}");
        assertEquals("READY", text(p.next(), "t"));
        return p;
    }

    private Simulator start(Path capture, int shards) throws Exception {
        sim = new Simulator(SimOptions.defaults().withWorld(shards, 1000, 10).withTraffic(50).withToken(TOKEN)
                .withLimits(16, 0, 41250, 2500, true), SimSetup.NONE.withReplay(capture));
        return sim;
    }

    @Test
    void aJsonLinesCaptureIsServedAsRecordedInFileOrder() throws Exception {
        List<Line> lines = capture();
        Path file = dir.resolve("capture.jsonl");
        List<String> text = new ArrayList<>(lines.stream().map(Line::json).toList());
        text.add("{\"t\":\"TYPING_START\",\"d\":{\"user_id\":\"900000000000000001\",\"timestamp\":1,"
                + "\"channel_id\":\"900000000000000020\",\"guild_id\":\"900000000000000034\"}}"); // just a dispatch, no op
        Files.write(file, text, StandardCharsets.UTF_8);
        start(file, 1);
        List<Line> guilds = lines.stream().filter(l -> "GUILD_CREATE".equals(l.type())).toList();
        Set<Long> ids = new TreeSet<>();
        for (Line g : guilds) {
            ids.add(Long.parseLong(topLevelText(g.d(), "id")));
        }
        assertEquals(ids, sim.onWorld(World::guildIds), "the capture's guilds are the world");
        assertFalse(sim.onWorld(World::memberKeys).isEmpty(), "with the capture's members");

        GatewayProbe p = identify(0, 1);
        for (Line g : guilds) {
            String frame = p.next();
            assertEquals("GUILD_CREATE", text(frame, "t"));
            assertEquals(g.d(), after(frame, ",\"op\":0,\"d\":"), "GUILD_CREATE as recorded");
        }
        List<Line> traffic = lines.stream().filter(l -> l.op() == 0 && !"GUILD_CREATE".equals(l.type())
                && !"READY".equals(l.type())).toList();
        sim.startTraffic();
        for (Line l : traffic) {
            String frame = p.next();
            assertEquals(l.type(), text(frame, "t"), "file order");
            assertEquals(l.d(), after(frame, ",\"op\":0,\"d\":"), "payload as recorded");
        }
        assertEquals("TYPING_START", text(p.next(), "t"), "a bare {t, d} line is a dispatch too");
        p.close();
    }

    @Test
    void aDirectoryCaptureIsRoutedByGuildAcrossShards() throws Exception {
        for (String f : FILES) {
            Files.copy(FIXTURES.resolve(f), dir.resolve(f));
        }
        start(dir, 2);
        GatewayProbe[] shards = {identify(0, 2), identify(1, 2)};
        sim.startTraffic();
        List<GatewaySession> sessions = sim.sessions();
        long total = capture().stream().filter(l -> l.op() == 0 && !"READY".equals(l.type())).count();
        Harnessless.await(() -> sessions.stream().mapToLong(GatewaySession::count).sum() == total + 2);
        for (GatewaySession s : sessions) {
            List<GatewaySession.Sent> sent = s.sent();
            assertEquals("READY", sent.getFirst().type());
            for (GatewaySession.Sent x : sent.subList(1, sent.size())) {
                long expectedShard = x.guildId() == 0 ? 0 : (x.guildId() >> 22) % 2;
                assertEquals(expectedShard, s.shardId(), x + " routed by its guild");
                String frame = shards[s.shardId()].next();
                assertEquals(x.type(), text(frame, "t"), "what the truth says was sent arrived, in order");
            }
        }
    }

    @Test
    void aBadCaptureIsRefusedNamingTheFileAndPayload() throws Exception {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"op\":0,\"t\":\"MESSAGE_CREATE\",\"d\":{\"guild_id\":\"1\"}}\n{\"op\":0,\"d\":{}}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> start(file, 1));
        assertTrue(e.getMessage().contains("bad.jsonl") && e.getMessage().contains("payload 2")
                && e.getMessage().contains("\"t\""), e.getMessage());
    }

    /** Waits for a condition without a harness (20 s at most). */
    private static final class Harnessless {
        static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
            long end = System.nanoTime() + 20_000_000_000L;
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > end) {
                    throw new AssertionError("the replay did not finish within 20 s");
                }
                Thread.sleep(50);
            }
        }
    }
}
