package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gatehouse.discord.Snowflake;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Sessions with different shard counts connected at once (what zero-downtime resharding relies on): one
 * client with 1 shard and two with 2 shards each receive their own routing of the same traffic.
 */
class SimulatorShardCountsTest {
    private static final String TOKEN = "probe-token";

    private static String identify(int shard, int shards) {
        return "{\"op\":2,\"d\":{\"token\":\"" + TOKEN + "\",\"intents\":513,\"properties\":{\"os\":\"linux\","
                + "\"browser\":\"probe\",\"device\":\"probe\"},\"shard\":[" + shard + "," + shards + "]}}";
    }

    private static GatewaySession session(Simulator sim, int shard, int shards) {
        for (GatewaySession s : sim.sessions()) {
            if (s.shardId() == shard && s.shardCount == shards) {
                return s;
            }
        }
        return null;
    }

    @Test
    void eachShardCountGetsItsOwnRoutingOfTheSameEvents() throws Exception {
        SimOptions o = SimOptions.defaults().withWorld(2, 60, 20).withTraffic(400).withToken(TOKEN)
                .withLimits(16, 0, 41_250, 2500, true);
        try (Simulator sim = new Simulator(o)) {
            List<GatewayProbe> probes = new ArrayList<>();
            int[][] shards = {{0, 1}, {0, 2}, {1, 2}};
            for (int[] s : shards) {
                GatewayProbe p = GatewayProbe.open(sim, "v=10&encoding=json");
                p.next(); // Hello
                p.send(identify(s[0], s[1]));
                probes.add(p);
            }
            long end = System.nanoTime() + 30_000_000_000L;
            while (sim.sessions().size() < 3) {
                if (System.nanoTime() > end) {
                    fail("only " + sim.sessions().size() + " sessions");
                }
                Thread.sleep(20);
            }
            GatewaySession whole = session(sim, 0, 1), even = session(sim, 0, 2), odd = session(sim, 1, 2);
            Map<GatewaySession, Integer> before = new HashMap<>();
            for (GatewaySession s : List.of(whole, even, odd)) {
                before.put(s, s.sent().size());
            }
            sim.startTraffic();
            while (whole.count() < before.get(whole) + 400) {
                if (System.nanoTime() > end) {
                    fail("traffic did not flow: " + whole.count());
                }
                Thread.sleep(20);
            }
            sim.stopTraffic();
            Thread.sleep(300);
            List<GatewaySession.Sent> all = traffic(whole, before);
            List<GatewaySession.Sent> evens = traffic(even, before);
            List<GatewaySession.Sent> odds = traffic(odd, before);
            for (GatewaySession.Sent e : evens) {
                assertTrue(e.guildId() == 0 || Snowflake.shardOf(e.guildId(), 2) == 0, "shard 0/2 got " + e);
            }
            for (GatewaySession.Sent e : odds) {
                assertTrue(e.guildId() != 0 && Snowflake.shardOf(e.guildId(), 2) == 1, "shard 1/2 got " + e);
            }
            assertEquals(kinds(all), kinds(merge(evens, odds)), "the 1-shard session saw exactly what the two 2-shard sessions saw");
            assertSubsequence(all, evens);
            assertSubsequence(all, odds);
            for (GatewayProbe p : probes) {
                p.close();
            }
        }
    }

    private static List<GatewaySession.Sent> traffic(GatewaySession s, Map<GatewaySession, Integer> before) {
        List<GatewaySession.Sent> sent = s.sent();
        return sent.subList(before.get(s), sent.size());
    }

    private static List<GatewaySession.Sent> merge(List<GatewaySession.Sent> a, List<GatewaySession.Sent> b) {
        List<GatewaySession.Sent> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** (type, guild) counts: seqs differ per session, the events do not. */
    private static Map<String, Integer> kinds(List<GatewaySession.Sent> events) {
        Map<String, Integer> out = new HashMap<>();
        for (GatewaySession.Sent e : events) {
            out.merge(e.type() + "@" + e.guildId(), 1, Integer::sum);
        }
        return out;
    }

    /** Each 2-shard session's events come in the order the 1-shard session got them. */
    private static void assertSubsequence(List<GatewaySession.Sent> all, List<GatewaySession.Sent> part) {
        int i = 0;
        for (GatewaySession.Sent e : all) {
            if (i < part.size() && e.type().equals(part.get(i).type()) && e.guildId() == part.get(i).guildId()) {
                i++;
            }
        }
        assertEquals(part.size(), i, "events of a 2-shard session out of the 1-shard session's order");
    }
}
