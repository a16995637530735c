package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.sim.SimOptions;
import dev.gatehouse.sim.Simulator;
import dev.gatehouse.state.EmbeddedPostgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL goes away under load, for longer than several heartbeat intervals, and comes back: the state writer
 * keeps its batch and writes it again, no shard identifies again, the bot gets everything, and the database equals
 * the world. Then PostgreSQL comes back EMPTY (its data lost): the schema is applied again and every shard
 * identifies again, so the state is complete once more.
 */
class StateOutageTest {

    @Test
    void theStateSurvivesAStoppedDatabaseAndAnEmptyOne() throws Exception {
        Path dir = TestPostgres.tempDir("gatehouse-outage-pg-");
        EmbeddedPostgres pg = EmbeddedPostgres.start(dir.resolve("data"), 0);
        int port = pg.port();
        SimOptions options = Harness.world(2, 40, 1000).withLimits(16, 5000, 1000, 2500, true);
        try (Simulator sim = new Simulator(options); TestBot bot = new TestBot("test-secret")) {
            pg.createDatabase("gatehouse");
            String jdbc = pg.jdbcUrl("gatehouse");
            List<String> args = List.of("--config=" + Harness.emptyConfig(), "--discord.token=test-token",
                    "--rest.url=" + sim.restUrl(), "--eventHandler.url=" + bot.url(), "--eventHandler.secret=test-secret",
                    "--db.url=" + jdbc, "--db.user=" + pg.user(), "--status.intervalSeconds=0", "--db.poolSize=2", "--api.port=0",
                    "--delivery.spillDir=" + Harness.spillDir(jdbc), "--state.journalDir=" + Harness.journalDir(jdbc),
                    "--filters.editedMessages=false"); // it compares the bot with every dispatch sent, as Harness does
            Gatehouse g = Gatehouse.start(ConfigLoader.load(new ArrayList<>(args), Map.of()));
            try {
                Harness.await("loaded", 60_000, () -> g.state().eventsStored() >= 42, () -> g.statusLine(0));
                sim.startTraffic();
                Thread.sleep(1_000);
                pg.close(); // 5 heartbeat intervals (1 s) without a database, under 1000 events/s
                Thread.sleep(5_000);
                pg = EmbeddedPostgres.start(dir.resolve("data"), port);
                Thread.sleep(1_000);
                sim.stopTraffic();
                awaitDelivered(sim, bot, g);
                assertEquals(2, sim.identifies(), "no shard identified again");
                StateTruth.assertEveryTableEqualsWorld(sim, jdbc, pg.user());

                pg.close();
                TestPostgres.delete(dir);
                pg = EmbeddedPostgres.start(dir.resolve("data"), port); // its data lost: a new, empty server
                pg.createDatabase("gatehouse");
                sim.startTraffic();
                Thread.sleep(1_000);
                sim.stopTraffic();
                Harness.await("every shard identified again", 60_000, () -> sim.identifies() >= 4, () -> g.statusLine(0));
                Harness.await("the state reloaded", 60_000, () -> g.shards().statuses().stream()
                        .allMatch(s -> s.ready() && s.guildsLoaded() == s.guilds()), () -> g.statusLine(0));
                // what the given-up sessions were still sent is not replayed: wait for the reloaded state itself
                String user = pg.user();
                String[] lastMismatch = {""};
                Harness.await("the reloaded state to equal the world", 90_000, () -> {
                    try {
                        StateTruth.assertEveryTableEqualsWorld(sim, jdbc, user);
                        return true;
                    } catch (AssertionError | java.sql.SQLException e) {
                        lastMismatch[0] = String.valueOf(e.getMessage());
                        return false;
                    }
                }, () -> g.statusLine(0) + "; last mismatch: " + lastMismatch[0]);
                StateTruth.assertEveryTableEqualsWorld(sim, jdbc, pg.user());
                assertTrue(g.state().eventsRejected() == 0, "nothing refused: " + g.state().eventsRejected());
            } finally {
                g.close(10_000);
            }
        } finally {
            pg.close();
            TestPostgres.delete(dir);
        }
    }

    private static void awaitDelivered(Simulator sim, TestBot bot, Gatehouse g) throws InterruptedException {
        Harness.await("the bot to receive every dispatch", 120_000,
                () -> bot.count() >= sim.dispatched() && g.delivery().queued() == 0 && g.dispatches() >= sim.dispatched(),
                () -> "bot has " + bot.count() + " of " + sim.dispatched() + "; " + g.statusLine(0));
    }
}
