package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Dispatches are filtered by the intents a session identified with, as Discord does. */
class SimulatorIntentTest {
    private static final String TOKEN = "probe-token";
    private static final long GUILDS_AND_MESSAGES = 1 | 1 << 9;
    private static final long WITH_TYPING = GUILDS_AND_MESSAGES | 1 << 11;

    private static String identify(long intents) {
        return "{\"op\":2,\"d\":{\"token\":\"" + TOKEN + "\",\"intents\":" + intents + ",\"properties\":{\"os\":\"linux\","
                + "\"browser\":\"probe\",\"device\":\"probe\"},\"shard\":[0,1]}}";
    }

    @Test
    void aSessionOnlyGetsTheDispatchesItsIntentsAskFor() throws Exception {
        SimOptions o = SimOptions.defaults().withWorld(1, 20, 20).withTraffic(500).withToken(TOKEN)
                .withLimits(16, 0, 41_250, 2500, true);
        try (Simulator sim = new Simulator(o)) {
            GatewayProbe plain = GatewayProbe.open(sim, "v=10&encoding=json");
            plain.next();
            plain.send(identify(GUILDS_AND_MESSAGES));
            long end = System.nanoTime() + 30_000_000_000L;
            while (sim.sessions().size() < 1) {
                Thread.sleep(20);
            }
            GatewayProbe typing = GatewayProbe.open(sim, "v=10&encoding=json");
            typing.next();
            typing.send(identify(WITH_TYPING));
            while (sim.sessions().size() < 2) {
                if (System.nanoTime() > end) {
                    fail("sessions: " + sim.sessions().size());
                }
                Thread.sleep(20);
            }
            GatewaySession a = sim.sessions().get(0), b = sim.sessions().get(1);
            int fromA = a.sent().size(), fromB = b.sent().size();
            sim.startTraffic();
            while (b.count() < fromB + 600) {
                if (System.nanoTime() > end) {
                    fail("traffic did not flow");
                }
                Thread.sleep(20);
            }
            sim.stopTraffic();
            List<GatewaySession.Sent> gotA = a.sent().subList(fromA, a.sent().size());
            List<GatewaySession.Sent> gotB = b.sent().subList(fromB, b.sent().size());
            Set<String> allowedA = Set.of("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK",
                    "GUILD_UPDATE", "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE", "GUILD_ROLE_DELETE", "CHANNEL_CREATE",
                    "CHANNEL_UPDATE", "CHANNEL_DELETE", "THREAD_CREATE", "THREAD_UPDATE", "THREAD_DELETE");
            for (GatewaySession.Sent e : gotA) {
                assertTrue(allowedA.contains(e.type()), "GUILDS|GUILD_MESSAGES session got " + e);
            }
            assertTrue(gotB.stream().anyMatch(e -> e.type().equals("TYPING_START")), "the typing session got TYPING_START");
            List<String> bWithoutTyping = gotB.stream().filter(e -> !e.type().equals("TYPING_START"))
                    .map(e -> e.type() + "@" + e.guildId()).toList();
            assertEquals(gotA.stream().map(e -> e.type() + "@" + e.guildId()).toList(), bWithoutTyping,
                    "apart from TYPING_START both sessions got the same events in the same order");
            plain.close();
            typing.close();
        }
    }
}
