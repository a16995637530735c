package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.sim.GuildChurn;
import dev.gatehouse.sim.Simulator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The whole state against the simulator's world: every table (voice states, emojis, stickers, stages, scheduled
 * events, thread members, presences and member roles besides guilds, channels, roles and members) through joins,
 * leaves, outages and traffic, through a READY after a session that could not be resumed, and the change log of
 * members who joined and left while Gatehouse was stopped.
 */
class StateCompleteTest {

    @Test
    void everyTableEqualsTheWorldThroughChurnAndTraffic() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 60, 300).withChurn(new GuildChurn(300, 200, 200, 500)))) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(3_000);
            h.sim.stopTraffic();
            h.awaitDelivered();
            Thread.sleep(300);
            StateTruth.assertEveryTableEqualsWorld(h.sim, h.jdbcUrl);
        }
    }

    @Test
    void aReadyAfterASessionThatCannotResumeRefreshesEveryTable() throws Exception {
        try (Harness h = new Harness(Harness.world(1, 30, 200))) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(1_000);
            h.sim.stopTraffic();
            h.awaitDelivered();
            List<Long> guilds = new ArrayList<>(h.sim.onWorld(w -> w.guildIds()));
            // the world changes without a dispatch, as while nobody is connected; only a new READY can tell
            for (int i = 0; i < 4; i++) {
                long g = guilds.get(i);
                h.sim.onWorld(w -> w.joinSilently(g));
                h.sim.onWorld(w -> w.leaveSilently(g));
            }
            long identifies = h.sim.identifies();
            h.sim.invalidateSession(0, false);
            Harness.await("a new identify", 60_000, () -> h.sim.identifies() > identifies, () -> h.gatehouse.statusLine(0));
            h.awaitLoaded();
            h.awaitDelivered();
            Thread.sleep(300);
            StateTruth.assertEveryTableEqualsWorld(h.sim, h.jdbcUrl);
        }
    }

    @Test
    void largeGuildsAreCompleteAfterTheirMemberChunks() throws Exception {
        try (Harness h = new Harness(Harness.world(1, 12, 0).withWorld(1, 12, 900).withAverageMembers(300))) {
            h.awaitLoaded();
            List<Long> large = h.sim.onWorld(w -> w.snapshot().guilds().stream().filter(g -> g.large())
                    .map(g -> g.id()).toList());
            assertTrue(large.size() >= 2, "the world has large guilds: " + large.size());
            long worldMembers = h.sim.truth().members().size();
            assertTrue(count(h.jdbcUrl, "SELECT count(*) FROM members WHERE left_at IS NULL") < worldMembers,
                    "large guilds' GUILD_CREATEs list only some members");
            for (long g : large) {
                assertTrue(h.gatehouse.shards().command(0, "{\"op\":8,\"d\":{\"guild_id\":\"" + g
                        + "\",\"query\":\"\",\"limit\":0,\"presences\":true}}").get());
            }
            Harness.await("every member stored from the chunks", 60_000,
                    () -> {
                        try {
                            return count(h.jdbcUrl, "SELECT count(*) FROM members WHERE left_at IS NULL") == worldMembers;
                        } catch (Exception e) {
                            return false;
                        }
                    }, () -> h.gatehouse.statusLine(0));
            h.awaitDelivered();
            StateTruth.assertEveryTableEqualsWorld(h.sim, h.jdbcUrl);
        }
    }

    @Test
    void theChangeLogListsExactlyWhoJoinedAndLeftWhileGatehouseWasStopped() throws Exception {
        try (Simulator sim = new Simulator(Harness.world(1, 20, 0)); TestBot bot = new TestBot("test-secret")) {
            String jdbc = TestPostgres.freshDatabase();
            List<String> args = List.of("--config=" + Harness.emptyConfig(), "--discord.token=test-token",
                    "--rest.url=" + sim.restUrl(), "--eventHandler.url=" + bot.url(), "--eventHandler.secret=test-secret",
                    "--db.url=" + jdbc, "--db.user=" + TestPostgres.server().user(), "--status.intervalSeconds=0",
                    "--api.port=0", "--delivery.spillDir=" + Harness.spillDir(jdbc), "--state.journalDir=" + Harness.journalDir(jdbc),
                    // the second start identifies shard 0 again: its turn comes after the simulator's window, not 5 s
                    "--spawnShardDelay=" + Harness.IDENTIFY_WINDOW_MS);
            Gatehouse first = Gatehouse.start(ConfigLoader.load(new ArrayList<>(args), Map.of()));
            awaitStored(first, 21);
            first.close(10_000);
            assertEquals(0, count(jdbc, "SELECT count(*) FROM member_changes"), "a guild's first load is not a change");

            Set<String> expected = new TreeSet<>();
            List<Long> guilds = new ArrayList<>(sim.onWorld(w -> w.guildIds()));
            for (int i = 0; i < 3; i++) {
                long g = guilds.get(i);
                long other = guilds.get(guilds.size() - 1 - i);
                expected.add("join " + sim.onWorld(w -> w.joinSilently(g)) + " diff");
                expected.add("leave " + sim.onWorld(w -> w.leaveSilently(other)) + " diff");
            }
            try (Connection c = DriverManager.getConnection(jdbc, TestPostgres.server().user(), "");
                 Statement st = c.createStatement()) {
                st.execute("DELETE FROM gatehouse_session"); // the next start identifies: a new READY, every guild again
            }
            long identifies = sim.identifies();
            Gatehouse second = Gatehouse.start(ConfigLoader.load(new ArrayList<>(args), Map.of()));
            try {
                awaitStored(second, 21);
                assertTrue(sim.identifies() > identifies, "the second start identified");
                Set<String> logged = new TreeSet<>();
                try (Connection c = DriverManager.getConnection(jdbc, TestPostgres.server().user(), "");
                     Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT kind, guild_id, user_id, learned_by FROM member_changes")) {
                    while (rs.next()) {
                        logged.add(rs.getString(1) + " " + rs.getLong(2) + ":" + rs.getLong(3) + " " + rs.getString(4));
                    }
                }
                assertEquals(expected, logged, "the change log");
                StateTruth.assertEveryTableEqualsWorld(sim, jdbc);
            } finally {
                second.close(10_000);
            }
        }
    }

    /** Waits until the state writer stored this many dispatches (READY and the GUILD_CREATEs). */
    private static void awaitStored(Gatehouse g, long dispatches) throws InterruptedException {
        Harness.await("the READY and every GUILD_CREATE stored", 60_000, () -> g.state().eventsStored() >= dispatches,
                () -> g.statusLine(0));
    }

    private static long count(String jdbc, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbc, TestPostgres.server().user(), "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
