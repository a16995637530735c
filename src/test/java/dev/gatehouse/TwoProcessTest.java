package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.sim.Simulator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two Gatehouse processes with disjoint shard ranges, one simulator, one PostgreSQL: with max_concurrency 1
 * every shard is in the same identify bucket, so without turns shared through the database both processes
 * would identify their first shard at once. The simulator must see no identify-bucket violation.
 */
class TwoProcessTest {

    @Test
    void processesWithDisjointShardRangesTakeIdentifyTurnsThroughTheDatabase() throws Exception {
        try (Simulator sim = new Simulator(Harness.world(4, 200, 100).withLimits(1, 2000, 41_250, 2500, true));
             TestBot bot = new TestBot("test-secret")) {
            String jdbc = TestPostgres.freshDatabase();
            String logs;
            try (GatehouseProcess low = new GatehouseProcess("low", range(sim, bot, jdbc, 0, 1));
                 GatehouseProcess high = new GatehouseProcess("high", range(sim, bot, jdbc, 2, 3))) {
                Harness.await("both processes to identify their shards", 120_000,
                        () -> sim.identifies() == 4 && bot.count() >= sim.dispatched(),
                        () -> "identifies " + sim.identifies() + ", bot " + bot.count() + "/" + sim.dispatched()
                                + "\n--- low:\n" + low.output() + "\n--- high:\n" + high.output());
                sim.startTraffic();
                Thread.sleep(1_500);
                sim.stopTraffic();
                Harness.await("the bot to hold every dispatch", 60_000, () -> bot.count() >= sim.dispatched(),
                        () -> "bot " + bot.count() + "/" + sim.dispatched());
                assertEquals(0, low.stop(), low.output());
                assertEquals(0, high.stop(), high.output());
                logs = "\n--- low:\n" + low.output() + "\n--- high:\n" + high.output();
            }
            assertEquals(0, sim.bucketViolations(), "identifies of one bucket within the interval" + logs);
            assertEquals(4, sim.identifies());
            assertEquals(0, Harness.assertNothingLostInOrder(sim, bot), "events delivered twice");
            Harness.assertDatabaseEqualsWorld(sim, jdbc);
        }
    }

    private static List<String> range(Simulator sim, TestBot bot, String jdbc, int first, int last) {
        List<String> s = new ArrayList<>(GatehouseProcess.settings("test-token", sim.restUrl(), bot, jdbc));
        s.addAll(List.of("--totalShards=4", "--firstShardId=" + first, "--lastShardId=" + last, "--spawnShardDelay=2000",
                // each process its own spill and journal: two sharing one race for its lock file at start
                "--delivery.spillDir=" + Harness.spillDir(jdbc) + "-" + first,
                "--state.journalDir=" + Harness.spillDir(jdbc) + "-" + first + "-state-journal"));
        return s;
    }
}
