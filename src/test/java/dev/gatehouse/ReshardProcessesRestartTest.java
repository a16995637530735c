package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.sim.GatewaySession;
import dev.gatehouse.sim.GuildChurn;
import dev.gatehouse.sim.Simulator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Two processes (0..0 and 1..1 of 2, each its own JVM) on one database; the first leads a reshard it started by
 * itself (a small reshard.guildsPerShard) and is killed with SIGKILL before its part switched, while the second,
 * following, has switched its own part. The restarted leader resumes its old part (one consistent set of its own),
 * follows the reshard still open, and switches: in the end both parts run 4 shards and every world event reached
 * the bot once in per-guild order.
 */
class ReshardProcessesRestartTest {

    private static List<String> settings(Simulator sim, TestBot bot, String jdbc, int residue, boolean automatic) {
        List<String> s = new ArrayList<>(GatehouseProcess.settings("test-token", sim.restUrl(), bot, jdbc));
        s.add("--spawnShardDelay=" + Harness.IDENTIFY_WINDOW_MS); // the new set's identify turns as the simulator's window
        s.addAll(List.of("--totalShards=2", "--firstShardId=" + residue, "--lastShardId=" + residue, "--reshard=" + automatic,
                "--reshard.guildsPerShard=100",
                // the leader's first check comes 12 s after its start: after the test put its guild in an outage
                "--reshard.checkIntervalMinutes=0.2",
                "--delivery.spillDir=" + Harness.spillDir(jdbc) + "-" + residue,
                "--state.journalDir=" + Harness.spillDir(jdbc) + "-" + residue + "-state-journal"));
        return s;
    }

    @Test
    void aLeaderKilledBeforeItsSwitchFollowsTheOpenReshardWhenItRestarts() throws Exception {
        try (Simulator sim = new Simulator(Harness.world(2, 200, 400).withChurn(new GuildChurn(60, 0, 0, 10_000)));
             TestBot bot = new TestBot("test-secret")) {
            String jdbc = TestPostgres.freshDatabase();
            // a guild of the leader's residue in an outage: its part cannot load, so it cannot switch before the kill
            long stuck = sim.onWorld(w -> w.guildIds()).stream().filter(g -> (g >> 22) % 2 == 0).findFirst().orElseThrow();
            try (GatehouseProcess high = new GatehouseProcess("split-high", settings(sim, bot, jdbc, 1, false))) {
                try (GatehouseProcess low = new GatehouseProcess("split-low", settings(sim, bot, jdbc, 0, true))) {
                    Harness.await("both parts to identify", 90_000, () -> sim.identifies() == 2 && bot.count() > 2,
                            () -> low.output() + "\n---\n" + high.output());
                    sim.guildOutage(stuck);
                    sim.startTraffic();
                    Harness.await("the follower to switch its part while the leader's waits for its guild", 90_000,
                            () -> high.linesContaining("reshard: switched to 4 shards") == 1
                                    && low.linesContaining("reshard: 2 -> 4 shards") == 1,
                            () -> low.output() + "\n---\n" + high.output());
                    assertEquals(0, low.linesContaining("reshard: switched"), low.output());
                    low.kill();
                }
                try (GatehouseProcess low = new GatehouseProcess("split-low-restart", settings(sim, bot, jdbc, 0, false))) {
                    Harness.await("the restarted leader to follow the open reshard", 90_000,
                            () -> low.linesContaining("following the reshard to 4 shards") == 1, low::output);
                    assertEquals(1, low.linesContaining("starting shards 0..0 of 2"), "the old part resumes first: " + low.output());
                    sim.guildReturns(stuck);
                    Harness.await("the restarted leader to switch", 90_000,
                            () -> low.linesContaining("reshard: switched to 4 shards") == 1, low::output);
                    Thread.sleep(1_500);
                    sim.stopTraffic();
                    Harness.await("every world event at the bot", 90_000, () -> ReshardTest.missingWorldEvents(sim, bot) == 0,
                            () -> ReshardTest.missingWorldEvents(sim, bot) + " missing, by the sessions that were sent them: "
                                    + missingBySession(sim, bot) + "\n" + low.output() + "\n---\n" + high.output());
                    Thread.sleep(1_500); // the state writers' last progress
                    assertEquals(0, low.stop(), low.output());
                }
                assertEquals(0, high.stop(), high.output());
            }
            ReshardTest.assertEveryWorldEventOnceInGuildOrder(sim, bot, 2, true);
            Harness.assertDatabaseEqualsWorld(sim, jdbc);
            assertStoredSet(sim, jdbc);
        }
    }

    /** Of the world events not at the bot, how many each session (shard/count, id) was sent. */
    private static Map<String, Integer> missingBySession(Simulator sim, TestBot bot) {
        java.util.Set<Long> got = new java.util.HashSet<>();
        Map<String, ReshardTest.Sent> truth = ReshardTest.truth(sim);
        for (TestBot.Received r : bot.all()) {
            ReshardTest.Sent x = truth.get(r.sessionId() + ":" + r.seq());
            if (x != null) {
                got.add(x.worldEvent());
            }
        }
        Map<String, Integer> out = new TreeMap<>();
        for (GatewaySession s : sim.sessions()) {
            List<Long> events = s.worldEvents();
            for (long e : events) {
                if (e != 0 && !got.contains(e)) {
                    out.merge(s.shardId() + "/" + s.shardCount() + " " + s.id().substring(0, 8), 1, Integer::sum);
                }
            }
        }
        return out;
    }

    /** gatehouse_session holds the newest session of each of the 4 shards, both parts recorded 4, the reshard is closed. */
    private static void assertStoredSet(Simulator sim, String jdbc) throws Exception {
        Map<Integer, String> expected = ReshardRestartTest.newestSessions(sim, 4); // the restart's new shards 0 and 2 win
        Map<Integer, String> stored = ReshardRestartTest.storedSessions(jdbc, 4);
        try (Connection c = DriverManager.getConnection(jdbc, TestPostgres.server().user(), "");
             Statement st = c.createStatement()) {
            assertEquals(0, Harness.ids(c, "SELECT id FROM guilds WHERE shard_id <> ((id >> 22) % 4)::integer").size(),
                    "guilds on a shard of another count");
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM gatehouse_shard_part WHERE modulus = 2 AND total_shards = 4")) {
                rs.next();
                assertEquals(2, rs.getInt(1), "both parts recorded 4 shards");
            }
            try (ResultSet rs = st.executeQuery("SELECT phase FROM gatehouse_reshard")) {
                rs.next();
                assertEquals("switched", rs.getString(1), "the reshard is closed once both parts switched");
            }
        }
        assertEquals(expected, stored, "stored sessions are exactly the newest 4-shard set");
    }
}
