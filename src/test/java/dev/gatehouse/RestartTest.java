package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.sim.GatewaySession;
import dev.gatehouse.sim.Simulator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Sessions survive Gatehouse restarts: a process killed with SIGKILL mid-stream (no flush, no close frame),
 * or stopped gracefully while its bot was down, is started again on the same database; every shard resumes
 * its session where the checkpoints say, none identifies, and the bot ends up with every dispatch the
 * simulator sent, in order.
 */
class RestartTest {
    private static final int SHARDS = 4;

    @Test
    void aKilledGatehouseResumesEveryShardOnRestartAndLosesNothing() throws Exception {
        try (Simulator sim = new Simulator(Harness.world(SHARDS, 400, 300)); TestBot bot = new TestBot("test-secret")) {
            String jdbc = TestPostgres.freshDatabase();
            List<String> settings = GatehouseProcess.settings("test-token", sim.restUrl(), bot, jdbc);

            Map<Integer, Integer> second;
            Map<Integer, Integer> atKill;
            try (GatehouseProcess first = new GatehouseProcess("first", settings)) {
                Harness.await("the first process to identify every shard and deliver the guilds", 90_000,
                        () -> sim.identifies() == SHARDS && bot.count() >= sim.dispatched() && sim.dispatched() > SHARDS,
                        () -> "identifies " + sim.identifies() + ", bot " + bot.count() + "/" + sim.dispatched() + "\n" + first.output());
                sim.startTraffic();
                long target = bot.count() + 1500;
                Harness.await("traffic to flow", 60_000, () -> bot.count() >= target, first::output);
                // the bound on re-delivery: what the bot took in the last second before the kill
                second = counts(bot);
                Thread.sleep(1_000);
                first.kill();
                Thread.sleep(300); // requests already in the bot's hands finish
                atKill = counts(bot);
            }
            int receivedAtKill = bot.count();

            GatehouseProcess restarted = new GatehouseProcess("restarted", settings);
            try (restarted) {
                Harness.await("every shard to resume", 90_000, () -> sim.resumes() == SHARDS,
                        () -> "resumes " + sim.resumes() + ", identifies " + sim.identifies() + "\n" + restarted.output());
                Thread.sleep(1_500);
                sim.stopTraffic();
                Harness.await("the bot to hold every dispatch", 90_000, () -> distinct(bot) >= sim.dispatched(),
                        () -> "bot " + distinct(bot) + "/" + sim.dispatched() + "\n" + restarted.output());
                assertEquals(0, restarted.stop(), "graceful stop after the restart\n" + restarted.output());
            }

            assertEquals(SHARDS, sim.identifies(), "the restart resumed instead of identifying");
            assertEquals(SHARDS, sim.resumes());
            Harness.assertNothingLostInOrder(sim, bot);
            Map<Integer, List<TestBot.Received>> got = bot.byShard();
            for (int shard = 0; shard < SHARDS; shard++) {
                List<TestBot.Received> events = got.get(shard);
                Set<String> seen = new HashSet<>();
                int resent = 0;
                for (int i = 0; i < events.size(); i++) {
                    TestBot.Received r = events.get(i);
                    if (!seen.add(r.sessionId() + ":" + r.seq())) {
                        resent++;
                        assertTrue(i >= atKill.get(shard), "shard " + shard + ": " + r + " delivered twice by one process");
                    }
                }
                int lastSecond = atKill.get(shard) - second.getOrDefault(shard, 0);
                assertTrue(resent <= lastSecond, "shard " + shard + ": " + resent + " events delivered again after the restart,"
                        + " more than the " + lastSecond + " the bot took in the last second before the kill");
            }
            assertTrue(bot.count() > receivedAtKill, "the restarted process delivered");
            assertStoredSessions(sim, jdbc);
            Harness.assertDatabaseEqualsWorld(sim, jdbc);
        }
    }

    @Test
    void eventsQueuedForADownBotAtAGracefulStopAreDeliveredAfterTheRestart() throws Exception {
        try (Simulator sim = new Simulator(Harness.world(2, 100, 200)); TestBot bot = new TestBot("test-secret")) {
            String jdbc = TestPostgres.freshDatabase();
            List<String> settings = GatehouseProcess.settings("test-token", sim.restUrl(), bot, jdbc);
            String summary;
            try (GatehouseProcess first = new GatehouseProcess("graceful", settings)) {
                Harness.await("the first process to deliver the guilds", 90_000,
                        () -> sim.identifies() == 2 && bot.count() >= sim.dispatched() && sim.dispatched() > 2, first::output);
                sim.startTraffic();
                Thread.sleep(1_000);
                bot.stop();
                Thread.sleep(2_000); // events now wait in Gatehouse's memory for the bot
                assertEquals(0, first.stop(), first.output());
                summary = first.output();
            }
            assertTrue(summary.matches("(?s).*\\b[1-9][0-9]* undelivered at stop.*"), "events were still queued at the stop:\n" + summary);
            bot.start();
            try (GatehouseProcess second = new GatehouseProcess("after-graceful", settings)) {
                Harness.await("both shards to resume", 90_000, () -> sim.resumes() == 2, second::output);
                Thread.sleep(1_000);
                sim.stopTraffic();
                Harness.await("the bot to hold every dispatch", 90_000, () -> distinct(bot) >= sim.dispatched(),
                        () -> "bot " + distinct(bot) + "/" + sim.dispatched() + "\n" + second.output());
                assertEquals(0, second.stop(), second.output());
            }
            assertEquals(2, sim.identifies(), "the restart resumed");
            Harness.assertNothingLostInOrder(sim, bot);
        }
    }

    @Test
    void sessionsOfAnotherGatewayAreNotResumed() throws Exception {
        try (TestBot bot = new TestBot("test-secret")) {
            String jdbc = TestPostgres.freshDatabase();
            try (Simulator first = new Simulator(Harness.world(2, 40, 0))) {
                try (GatehouseProcess p = new GatehouseProcess("first-gateway",
                        GatehouseProcess.settings("test-token", first.restUrl(), bot, jdbc))) {
                    Harness.await("both shards ready", 90_000, () -> first.identifies() == 2 && bot.count() >= first.dispatched(),
                            p::output);
                    assertEquals(0, p.stop(), p.output());
                }
            }
            int before = bot.count();
            // a new gateway (here a new simulator; with Discord, another gateway URL): the stored sessions are not its own
            try (Simulator second = new Simulator(Harness.world(2, 40, 0));
                 GatehouseProcess p = new GatehouseProcess("second-gateway", identifyTurnsOfTheWindow(
                         GatehouseProcess.settings("test-token", second.restUrl(), bot, jdbc)))) {
                Harness.await("both shards identified at the new gateway", 90_000,
                        () -> second.identifies() == 2 && bot.count() >= before + second.dispatched(), p::output);
                assertEquals(0, p.stop(), p.output());
                assertEquals(1, p.linesContaining("0 resume sessions of the previous run, 2 identify"), p.output());
            }
        }
    }

    /**
     * The settings with identify turns as long as the simulator's window: the database's identify ledger holds the
     * first process's turns, so the second one's identifies wait a turn (1 s, not 5 s) after them.
     */
    private static List<String> identifyTurnsOfTheWindow(List<String> settings) {
        List<String> out = new java.util.ArrayList<>(settings);
        out.add("--spawnShardDelay=" + Harness.IDENTIFY_WINDOW_MS);
        return out;
    }

    private static Map<Integer, Integer> counts(TestBot bot) {
        Map<Integer, Integer> out = new HashMap<>();
        bot.byShard().forEach((shard, list) -> out.put(shard, list.size()));
        return out;
    }

    private static long distinct(TestBot bot) {
        return bot.distinct();
    }

    /** The session table holds each shard's one session, checkpointed to its last dispatch by both consumers. */
    private static void assertStoredSessions(Simulator sim, String jdbc) throws Exception {
        Map<Integer, GatewaySession> sessions = new HashMap<>();
        for (GatewaySession s : sim.sessions()) {
            sessions.put(s.shardId(), s);
        }
        try (Connection c = DriverManager.getConnection(jdbc, TestPostgres.server().user(), "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT s.shard_id, s.session_id, s.total_shards, s.stored_seq, d.delivered_seq"
                     + " FROM gatehouse_session s JOIN gatehouse_delivery d ON d.shard_id = s.shard_id AND d.session_id = s.session_id")) {
            int rows = 0;
            while (rs.next()) {
                rows++;
                GatewaySession s = sessions.get(rs.getInt(1));
                List<GatewaySession.Sent> sent = s.sent();
                long last = sent.get(sent.size() - 1).seq();
                assertEquals(s.id(), rs.getString(2), "stored session of shard " + s.shardId());
                assertEquals(SHARDS, rs.getInt(3));
                assertEquals(last, rs.getLong(4), "stored_seq of shard " + s.shardId());
                assertEquals(last, rs.getLong(5), "delivered_seq of shard " + s.shardId());
            }
            assertEquals(SHARDS, rows);
        }
    }
}
