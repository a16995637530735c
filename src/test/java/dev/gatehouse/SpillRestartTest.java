package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.sim.SessionLimits;
import dev.gatehouse.sim.Simulator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bot is down for many (shortened) heartbeat intervals at a high rate, with small memory bounds, and
 * Gatehouse is restarted in the middle, gracefully or with kill -9. The simulator's resume window is shorter
 * than the outage, so nothing may depend on Discord replaying what the bot missed: the restart delivers it
 * from the durable spill. Every event arrives after the bot returns, in per-shard order, and no shard
 * identified or reconnected because of the outage (each resumes once, for the restart).
 */
class SpillRestartTest {
    private static final int SHARDS = 2;
    private static final long RESUME_WINDOW_MS = 10_000;

    @Test
    void aGracefulRestartDuringABotOutageDeliversEverythingFromTheSpill() throws Exception {
        restartDuringOutage(false);
    }

    @Test
    void aKillDuringABotOutageDeliversEverythingFromTheSpill() throws Exception {
        restartDuringOutage(true);
    }

    private static void restartDuringOutage(boolean kill) throws Exception {
        var options = SpillTest.fastHeartbeats(SHARDS, 60, 2000)
                .withSessionLimits(new SessionLimits(RESUME_WINDOW_MS, 1000, 86_400_000, 30_000));
        try (Simulator sim = new Simulator(options); TestBot bot = new TestBot("test-secret")) {
            String jdbc = TestPostgres.freshDatabase();
            List<String> settings = new ArrayList<>(GatehouseProcess.settings("test-token", sim.restUrl(), bot, jdbc));
            settings.addAll(List.of("--delivery.maxQueued=" + SpillTest.MAX_QUEUED,
                    "--delivery.maxQueuedBytes=" + SpillTest.MAX_QUEUED_BYTES, "--delivery.batchSize=100"));
            long outageStart;
            try (GatehouseProcess first = new GatehouseProcess("spill-first", settings)) {
                Harness.await("the first process to deliver the guilds", 90_000,
                        () -> sim.identifies() == SHARDS && bot.count() >= sim.dispatched() && sim.dispatched() > SHARDS,
                        first::output);
                sim.startTraffic();
                Thread.sleep(500);
                bot.stop();
                outageStart = System.nanoTime();
                Thread.sleep(2L * SpillTest.HEARTBEAT_MS); // 8000 events meanwhile, 160x delivery.maxQueued
                if (kill) {
                    first.kill();
                } else {
                    assertEquals(0, first.stop(), first.output());
                    assertTrue(first.output().matches("(?s).*undelivered at stop \\([1-9][0-9]* of them in the spill\\).*"),
                            "the stop left the held events in the spill:\n" + first.output());
                }
            }
            try (GatehouseProcess second = new GatehouseProcess("spill-second", settings)) {
                Harness.await("both shards to resume", 90_000, () -> sim.resumes() == SHARDS, second::output);
                long sinceOutage = (System.nanoTime() - outageStart) / 1_000_000;
                // the bot stays down past the resume window: 5 heartbeat intervals or more in all, 2 or more of them
                // after the restart
                Thread.sleep(Math.max(2L * SpillTest.HEARTBEAT_MS, RESUME_WINDOW_MS + 1_000 - sinceOutage));
                assertTrue((System.nanoTime() - outageStart) / 1_000_000 > RESUME_WINDOW_MS, "the outage outlasts the resume window");
                bot.start();
                sim.stopTraffic();
                Harness.await("the bot to hold every dispatch", 120_000, () -> bot.distinct() >= sim.dispatched(),
                        () -> "bot " + bot.distinct() + "/" + sim.dispatched() + "\n" + second.output());
                // the whole log, not output()'s last 6000 characters: a loaded machine logs many pauses after this line
                assertEquals(1, second.linesContaining("wait in the spill from the previous run"),
                        "the restart found the spill:\n" + second.output());
                assertEquals(0, second.stop(), second.output());
            }
            assertEquals(SHARDS, sim.identifies(), "no shard identified again");
            assertEquals(SHARDS, sim.resumes(), "each shard resumed once, for the restart, never for the outage");
            Harness.assertNothingLostInOrder(sim, bot);
            // the resumed shards knew their guilds from the state: each said loaded again, with the same guilds
            for (int shard = 0; shard < SHARDS; shard++) {
                String id = String.valueOf(shard);
                List<String> counts = bot.signals().stream().filter(p -> p.event().type().equals("GATEHOUSE_SHARD_LOADED")
                        && id.equals(p.d().get("shard_id"))).map(p -> p.d().get("guilds")).toList();
                assertEquals(2, counts.size(), "shard " + shard + " loaded once per process: " + bot.signals());
                assertEquals(counts.get(0), counts.get(1), "shard " + shard + " knew its guilds after the restart");
            }
            assertEquals(2, bot.signals().stream().filter(p -> p.event().type().equals("GATEHOUSE_ALL_LOADED")).count());
        }
    }
}
