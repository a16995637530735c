package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * A Gatehouse killed with SIGKILL in the middle of a reshard it started by itself (a small
 * reshard.guildsPerShard), then started again on the same database: before the switch the old set resumes, after
 * it the new set does, never a mix, and every event of the world reaches the bot once (a dispatch re-sent under
 * the same session and seq after the crash counts once, as the bot deduplicates it).
 */
class ReshardRestartTest {
    private static final int FROM = 2;
    /** 200 guilds over 2 shards of 100 at 80%: the check reshards to 200 / 80 + 1 = 3. */
    private static final int TO = 3;

    private static List<String> settings(Simulator sim, TestBot bot, String jdbc, boolean automatic) {
        List<String> s = new ArrayList<>(GatehouseProcess.settings("test-token", sim.restUrl(), bot, jdbc));
        // the first check 6 s after start; the tests do not depend on seeing the first set before it
        s.add("--spawnShardDelay=" + Harness.IDENTIFY_WINDOW_MS); // the new set's identify turns as the simulator's window
        s.addAll(List.of("--reshard=" + automatic, "--reshard.guildsPerShard=100", "--reshard.checkIntervalMinutes=0.1"));
        return s;
    }

    @Test
    void aKillBeforeTheSwitchRestartsTheOldSet() throws Exception {
        try (Simulator sim = new Simulator(Harness.world(FROM, 200, 400).withChurn(new GuildChurn(60, 0, 0, 10_000)));
             TestBot bot = new TestBot("test-secret")) {
            String jdbc = TestPostgres.freshDatabase();
            long stuck = sim.onWorld(w -> w.guildIds()).iterator().next();
            // a guild in an outage from the start never loads on the new set, so the switch cannot come before the kill,
            // however early the reshard's first check falls (on a loaded machine the process's start can take longer
            // than the check interval)
            sim.guildOutage(stuck);
            try (GatehouseProcess first = new GatehouseProcess("reshard-before", settings(sim, bot, jdbc, true))) {
                Harness.await("the first set to identify", 90_000, () -> sim.identifies() >= FROM && bot.count() > FROM, first::output);
                sim.startTraffic();
                Harness.await("the new set to identify in the background", 90_000,
                        () -> sim.identifies() == FROM + TO && first.linesContaining("reshard: 2 -> 3 shards") == 1, first::output);
                Thread.sleep(1_500);
                assertEquals(0, first.linesContaining("reshard: switched"), first.output());
                first.kill();
            }
            try (GatehouseProcess second = new GatehouseProcess("reshard-before-restart", settings(sim, bot, jdbc, false))) {
                Harness.await("the old set to resume", 90_000, () -> sim.resumes() == FROM, second::output);
                sim.guildReturns(stuck);
                Thread.sleep(1_500);
                sim.stopTraffic();
                Harness.await("every world event at the bot", 90_000, () -> ReshardTest.missingWorldEvents(sim, bot) == 0,
                        () -> ReshardTest.missingWorldEvents(sim, bot) + " missing\n" + second.output());
                assertEquals(1, second.linesContaining("starting shards 0..1 of 2"), second.output());
                assertEquals(0, second.stop(), second.output());
            }
            assertEquals(FROM + TO, sim.identifies(), "the restart resumed the old set, identified nothing");
            ReshardTest.assertEveryWorldEventOnceInGuildOrder(sim, bot, FROM, true);
            Harness.assertDatabaseEqualsWorld(sim, jdbc);
            assertStoredSet(sim, jdbc, FROM);
        }
    }

    @Test
    void aKillAfterTheSwitchRestartsTheNewSet() throws Exception {
        try (Simulator sim = new Simulator(Harness.world(FROM, 200, 400).withChurn(new GuildChurn(60, 0, 0, 10_000)));
             TestBot bot = new TestBot("test-secret")) {
            String jdbc = TestPostgres.freshDatabase();
            try (GatehouseProcess first = new GatehouseProcess("reshard-after", settings(sim, bot, jdbc, true))) {
                Harness.await("the first set to identify", 90_000, () -> sim.identifies() >= FROM && bot.count() > FROM, first::output);
                sim.startTraffic();
                Harness.await("the switch", 90_000, () -> first.linesContaining("reshard: switched to 3 shards") == 1, first::output);
                first.kill();
            }
            try (GatehouseProcess second = new GatehouseProcess("reshard-after-restart", settings(sim, bot, jdbc, false))) {
                Harness.await("the new set to resume", 90_000, () -> sim.resumes() == TO, second::output);
                Thread.sleep(1_500);
                sim.stopTraffic();
                Harness.await("every world event at the bot", 90_000, () -> ReshardTest.missingWorldEvents(sim, bot) == 0,
                        () -> ReshardTest.missingWorldEvents(sim, bot) + " missing\n" + second.output());
                assertEquals(1, second.linesContaining("starting shards 0..2 of 3"), second.output());
                assertEquals(0, second.stop(), second.output());
                // the resumed new sessions' seqs the hand-over had not passed on are dropped again, and counted apart
                long[] n = Harness.summaryCounts(second.output());
                assertEquals(n[1] + n[2], n[3] + n[4] + n[5] + n[6] + n[7] + n[8], "the restart's summary adds up: " + second.output());
            }
            assertEquals(FROM + TO, sim.identifies(), "the restart resumed the new set, identified nothing");
            ReshardTest.assertEveryWorldEventOnceInGuildOrder(sim, bot, FROM, true);
            Harness.assertDatabaseEqualsWorld(sim, jdbc);
            assertStoredSet(sim, jdbc, TO);
        }
    }

    /** gatehouse_session holds exactly the sessions of one shard count, and the recorded count is that one. */
    private static void assertStoredSet(Simulator sim, String jdbc, int shards) throws Exception {
        Map<Integer, String> expected = newestSessions(sim, shards);
        Map<Integer, String> stored = storedSessions(jdbc, shards);
        try (Connection c = DriverManager.getConnection(jdbc, TestPostgres.server().user(), "");
             Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT total_shards FROM gatehouse_shard_set")) {
                assertTrue(rs.next());
                assertEquals(shards, rs.getInt(1), "recorded shard count");
            }
            assertEquals(0, Harness.ids(c, "SELECT id FROM guilds WHERE shard_id <> ((id >> 22) % " + shards + ")::integer").size(),
                    "guilds on a shard of another count");
        }
        assertEquals(expected, stored, "stored sessions are exactly those of the " + shards + "-shard set");
    }

    /** The newest session the simulator saw of each shard of {@code shards} (sessions are listed in start order). */
    static Map<Integer, String> newestSessions(Simulator sim, int shards) {
        Map<Integer, String> out = new TreeMap<>();
        for (GatewaySession s : sim.sessions()) {
            if (s.shardCount() == shards) {
                out.put(s.shardId(), s.id());
            }
        }
        return out;
    }

    /** gatehouse_session's session by shard; every row must be of {@code shards}. */
    static Map<Integer, String> storedSessions(String jdbc, int shards) throws Exception {
        Map<Integer, String> out = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(jdbc, TestPostgres.server().user(), "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT shard_id, session_id, total_shards FROM gatehouse_session")) {
            while (rs.next()) {
                out.put(rs.getInt(1), rs.getString(2));
                assertEquals(shards, rs.getInt(3), "total_shards of shard " + rs.getInt(1));
            }
        }
        return out;
    }
}
