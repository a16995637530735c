package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.shard.ShardStatus;
import dev.gatehouse.sim.Simulator;
import dev.gatehouse.state.StateJournal;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL stops for several (shortened) heartbeat intervals under traffic: the state writer waits, the ring
 * fills, the shards pause reading but keep heartbeating; no shard reconnects, nothing is lost at the bot, and
 * the state is complete once the database is back. With {@code delivery.afterState=false} the bot keeps
 * getting events during the whole outage (the state journal takes them; past {@code state.maxJournalBytes} only
 * while the ring has room); with {@code true} it waits for the state.
 */
class PostgresOutageTest {
    /**
     * One PostgreSQL cluster for the class (initdb takes seconds on a loaded machine), each test on a database of its
     * own; a test stops and starts this server on its port, and a test that fails with it down leaves it started again.
     */
    private static TestPostgres.OwnServer server;

    @BeforeAll
    static void initdbOnce() throws IOException {
        server = TestPostgres.OwnServer.start("gatehouse-pg-outage");
    }

    @AfterEach
    void postgresIsUpForTheNextTest() throws IOException {
        server.startIfStopped();
    }

    @AfterAll
    static void removeTheCluster() {
        server.close();
    }

    /** The journal test's outage: 20 rings' worth of events at 1000 events/s with a margin for a loaded machine. */
    private static final int OUTAGE_MS = 6 * SpillTest.HEARTBEAT_MS;
    /**
     * The other outages: 4 heartbeat intervals; their ring of {@link #RING} slots fills at 1000 events/s in 2 s,
     * so the shards stay paused for 3 intervals, heartbeating.
     */
    private static final int PAUSED_OUTAGE_MS = 4 * SpillTest.HEARTBEAT_MS;
    private static final int RING = 2048;

    /**
     * The state journal past its bound ({@code state.maxJournalBytes} far below what the outage brings): the state
     * consumer waits for the database as it did without a journal, the ring fills, the shards pause; nothing lost.
     */
    @Test
    void withDeliveryAfterStateFalseAndTheJournalFullTheBotGetsEventsUntilTheRingIsFull() throws Exception {
        // a ring of 4096: stopping PostgreSQL itself may take a second or two on a loaded machine, and the ring must still
        // have room after it, when the first count is taken
        long[] during = outage(false, 120_000, false, 4096, "--state.maxJournalBytes=65536");
        assertTrue(during[1] > during[0], "events reached the bot while PostgreSQL was down: " + during[0] + " -> " + during[1]);
    }

    /**
     * PostgreSQL down for far longer than the ring lasts (256 slots at 1000 events/s: a quarter of a second) with
     * {@code delivery.afterState=false}: the state writer's journal takes the ring's events, so the bot gets every
     * event sent during the outage while the database is still down, no shard resumes or identifies, the
     * journal stays within its bound, and once PostgreSQL is back the journal is stored in order and the database
     * equals the simulator's world.
     */
    @Test
    void withDeliveryAfterStateFalseTheJournalKeepsTheBotFedForTheWholeOutageAndTheStateCatchesUp() throws Exception {
        long maxJournal = 64L * 1024 * 1024;
        String url = server.freshDatabase("journal");
        try (Harness h = new Harness(SpillTest.fastHeartbeats(2, 60, 1000), "--db.url=" + url, "--db.user=" + server.pg().user(),
                "--delivery.afterState=false", "--ring.size=256", "--delivery.batchSize=50",
                "--state.maxJournalBytes=" + maxJournal, "--gateway.maxPausedMs=120000")) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(1_000);
            server.stop();
            long downAt = h.sim.dispatched();
            Thread.sleep(OUTAGE_MS);
            h.sim.stopTraffic();
            long sentDuringOutage = h.sim.dispatched() - downAt;
            assertTrue(sentDuringOutage > 20L * 256, "the outage saw " + sentDuringOutage + " events, 20x the ring");
            h.awaitDelivered(); // PostgreSQL is still down
            h.assertNothingLostInOrder();
            StateJournal journal = h.gatehouse.stateJournal().orElseThrow();
            assertTrue(journal.journaling(), "the state is still waiting for the database");
            assertTrue(journal.journaledEvents() > 20L * 256, "the journal took the outage's events: " + journal.journaledEvents());
            assertTrue(journal.peakBytes() > 0 && journal.peakBytes() <= maxJournal, "journal within its bound: " + journal.peakBytes());
            // a shard may pause for a moment while the writer finds the database gone (the ring lasts 0.25 s)
            assertEquals(2, h.sim.identifies(), "no shard identified again");
            assertEquals(0, h.sim.resumes(), "no shard reconnected");
            server.start();
            Harness.await("the journal to be stored", 90_000, () -> !journal.journaling(), () -> h.gatehouse.statusLine(0));
            awaitStateEqualsWorld(h, url);
            assertEquals(journal.journaledEvents(), journal.caughtUpEvents(), "every journaled event was handed to the writer");
            assertEquals(0, journal.bytes(), "the journal is empty");
            assertTrue(journal.segmentsCreated() > 1, "the journal rolled its segments: " + journal.segmentsCreated());
            try (var left = java.nio.file.Files.list(Path.of(Harness.journalDir(h.jdbcUrl)))) {
                assertEquals(List.of(), left.filter(f -> f.toString().endsWith(".seg")).toList(), "segments deleted once stored");
            }
            h.sim.startTraffic(); // back on the ring directly: the state keeps up again
            Thread.sleep(1_000);
            h.sim.stopTraffic();
            h.awaitDelivered();
            awaitStateEqualsWorld(h, url);
            assertEquals(2, h.sim.identifies(), "no shard identified again");
            assertEquals(0, h.sim.resumes(), "no shard reconnected");
        }
    }

    @Test
    void aShardPausedLongerThanGatewayMaxPausedMsClosesResumablyAndResumesWhenThereIsRoom() throws Exception {
        outage(true, 1_500);
    }

    /**
     * With {@code delivery.afterState=true} the bot waits for the state: nothing reaches it while PostgreSQL is
     * down, and no shard reconnects while the full ring pauses it. Then, in the same outage, the gateway drops the
     * paused shards' connections while they still hold dispatches for the full ring: they reconnect only once the
     * ring took them (a new connection paused before its handshake never read Hello and timed out as failed
     * resumes until the session was given up), then resume; never an identify, nothing lost.
     */
    @Test
    void withDeliveryAfterStateTrueTheBotWaitsForTheStateAndADroppedPausedShardResumesOnceTheRingHasRoom() throws Exception {
        long[] during = outage(true, 120_000, true, RING);
        assertEquals(during[0], during[1], "nothing reached the bot while PostgreSQL was down");
    }

    /**
     * A burst of member chunks (a few KB to hundreds of KB each) is on its way when the ring fills: reading pauses,
     * but what the connection had read still arrives, and past {@code gateway.maxHeldBytes} (1 KiB here) the shard
     * closes resumably at once instead of holding it, and resumes (never identifies) once the ring took what it held.
     * Not asserted: the whole stream after the database is back. With a bound this far below a ring's worth of a
     * replay burst (a ring of 8 slots) every resume crosses it again and the resume backoff grows to its maximum per round;
     * the resumable close itself is the one {@code gateway.maxPausedMs} uses, whose test below delivers everything.
     */
    @Test
    void aShardHoldingMoreThanGatewayMaxHeldBytesClosesResumablyAndResumesWithoutIdentifying() throws Exception {
        try (LogLines log = new LogLines(Class.forName("dev.gatehouse.shard.Shard"))) {
            String url = server.freshDatabase("held");
            try (Harness h = new Harness(SpillTest.fastHeartbeats(1, 12, 300).withWorld(1, 12, 900).withAverageMembers(300),
                    "--db.url=" + url, "--db.user=" + server.pg().user(), "--delivery.afterState=true", "--ring.size=8",
                    "--gateway.maxHeldBytes=1024", "--gateway.maxPausedMs=120000")) {
                h.awaitLoaded();
                List<Long> guilds = List.copyOf(h.sim.onWorld(w -> w.guildIds()));
                server.stop();
                for (int round = 0; round < 3; round++) { // 36 chunks or more for a ring of 8: the ninth is held
                    for (long g : guilds) {
                        assertTrue(h.gatehouse.shards().command(0, "{\"op\":8,\"d\":{\"guild_id\":\"" + g
                                + "\",\"query\":\"\",\"limit\":0,\"presences\":true}}").get());
                    }
                }
                Harness.await("the shard to close for what it holds", 30_000,
                        () -> log.count(java.util.logging.Level.WARNING, "gateway.maxHeldBytes=1024") >= 1, log::all);
                String line = log.all().lines().filter(l -> l.contains("gateway.maxHeldBytes=1024")).findFirst().orElseThrow();
                long heldAtClose = Long.parseLong(line.replaceAll(".* holds (\\d+) bytes.*", "$1"));
                assertTrue(heldAtClose > 1024, line);
                server.start();
                Harness.await("the shard to resume", 60_000, () -> h.sim.resumes() >= 1, log::all);
                assertEquals(1, h.sim.identifies(), "the shard never identified again");
            }
        }
    }

    /**
     * Gatehouse killed (SIGKILL) during a PostgreSQL outage while the state journal holds events: the stored
     * progress never counted them, so the next process empties the journal, its shards resume from the stored
     * progress (never identify), Discord replays what the journal held, and the state ends equal to the world;
     * the bot has every event (what it had already taken comes again and is set aside by its key).
     */
    @Test
    void aKillDuringTheOutageWithTheJournalResumesFromTheStoredProgressAndTheStateCatchesUp() throws Exception {
        Path own = TestPostgres.tempDir("gatehouse-pg-journal-kill");
        try (Simulator sim = new Simulator(SpillTest.fastHeartbeats(2, 60, 1000)); TestBot bot = new TestBot("test-secret")) {
            String url = server.freshDatabase("journal_kill");
            Path journalDir = own.resolve("state-journal");
            List<String> settings = List.of("--discord.token=test-token", "--rest.url=" + sim.restUrl(),
                    "--eventHandler.url=" + bot.url(), "--eventHandler.secret=test-secret", "--db.url=" + url,
                    "--db.user=" + server.pg().user(), "--delivery.spillDir=" + own.resolve("spill"), "--state.journalDir=" + journalDir,
                    "--filters.editedMessages=false", "--delivery.afterState=false", "--ring.size=256", "--delivery.batchSize=50");
            try (GatehouseProcess first = new GatehouseProcess("journal-first", settings)) {
                Harness.await("the first process to deliver the guilds", 90_000,
                        () -> sim.identifies() == 2 && bot.count() >= sim.dispatched() && sim.dispatched() > 2, first::output);
                // with delivery.afterState=false the bot has READY before the state stored it: on a loaded machine
                // (load 15) the outage once came before shard 1's session was stored, and the restart identified it
                Harness.await("both sessions stored", 90_000, () -> storedSessions(url) == 2, first::output);
                sim.startTraffic();
                Thread.sleep(1_000);
                server.stop();
                long before = bot.count();
                Thread.sleep(4L * SpillTest.HEARTBEAT_MS);
                assertTrue(bot.count() > before + 1_000, "the bot kept getting events: " + before + " -> " + bot.count());
                try (var files = java.nio.file.Files.list(journalDir)) {
                    assertTrue(files.anyMatch(f -> f.toString().endsWith(".seg")), "the journal holds events:\n" + first.output());
                }
                first.kill();
            }
            server.start();
            try (GatehouseProcess second = new GatehouseProcess("journal-second", settings)) {
                // a loaded machine (load 14 on 2 cores) took over 90 s once to reconnect both shards through a ring of 256
                Harness.await("both shards to resume", 180_000, () -> sim.resumes() == 2, second::output);
                Thread.sleep(1_000);
                sim.stopTraffic();
                Harness.await("the bot to hold every dispatch", 120_000, () -> bot.distinct() >= sim.dispatched(),
                        () -> "bot " + bot.distinct() + "/" + sim.dispatched() + "\n" + second.output());
                assertEquals(1, second.linesContaining("left by the previous process deleted"), "the journal was emptied");
                awaitStateEqualsWorld(sim, url, second::output);
                assertEquals(0, second.stop(), second.output());
            }
            assertEquals(2, sim.identifies(), "no shard identified again");
            assertEquals(2, sim.resumes(), "each shard resumed once, for the restart");
            Harness.assertNothingLostInOrder(sim, bot);
        } finally {
            TestPostgres.delete(own);
        }
    }

    /**
     * Returns the bot's event count early in the outage and at its end. With a {@code maxPausedMs} shorter than
     * the outage the paused shards close resumably and resume once the ring has room; never an identify.
     */
    private static long[] outage(boolean afterState, long maxPausedMs) throws Exception {
        return outage(afterState, maxPausedMs, false, RING);
    }

    private static long[] outage(boolean afterState, long maxPausedMs, boolean dropWhilePaused, int ring, String... more)
            throws Exception {
        long[] during = new long[2];
        String url = server.freshDatabase("outage");
        List<String> settings = new ArrayList<>(List.of("--db.url=" + url, "--db.user=" + server.pg().user(),
                "--delivery.afterState=" + afterState, "--ring.size=" + ring, "--delivery.batchSize=50",
                "--gateway.maxPausedMs=" + maxPausedMs));
        settings.addAll(List.of(more));
        try (Harness h = new Harness(SpillTest.fastHeartbeats(2, 60, 1000), settings.toArray(String[]::new))) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(1_000);
            server.stop();
            int settle = afterState ? 1_500 : 200; // with afterState, what was stored before the stop is delivered
            Thread.sleep(settle);
            during[0] = h.bot.count();
            Thread.sleep(PAUSED_OUTAGE_MS - settle); // 1000 events/s fill the ring meanwhile
            during[1] = h.bot.count();
            long pauses = h.gatehouse.shards().statuses().stream().mapToLong(ShardStatus::pauses).sum();
            assertTrue(pauses > 0, "the full ring paused reading: " + h.gatehouse.statusLine(0));
            if (dropWhilePaused) {
                assertEquals(0, h.sim.resumes(), "no shard reconnected while the full ring paused it");
                h.sim.dropConnection(0);
                h.sim.dropConnection(1);
                Thread.sleep(4L * SpillTest.HEARTBEAT_MS); // the shards see the drop and wait for room
            }
            server.start();
            h.sim.stopTraffic();
            h.awaitDelivered();
            Thread.sleep(300);
            h.assertNothingLostInOrder();
            assertEquals(2, h.sim.identifies(), "no shard identified again");
            if (dropWhilePaused) {
                assertTrue(h.sim.resumes() >= 1, "the dropped shards resumed");
            } else if (maxPausedMs > PAUSED_OUTAGE_MS) {
                assertEquals(0, h.sim.resumes(), "no shard reconnected");
            } else {
                assertTrue(h.sim.resumes() >= 1, "a shard paused past gateway.maxPausedMs closed and resumed");
            }
            awaitStateEqualsWorld(h, url);
        }
        return during;
    }

    /** Sessions in gatehouse_session, 0 while the database does not answer. */
    private static long storedSessions(String url) {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, server.pg().user(), "");
             java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM gatehouse_session")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException notYet) {
            return 0;
        }
    }

    /** Waits until the database equals the simulator's world (the state caught up), then asserts it. */
    private static void awaitStateEqualsWorld(Harness h, String url) throws Exception {
        awaitStateEqualsWorld(h.sim, url, () -> h.gatehouse.statusLine(0));
    }

    private static void awaitStateEqualsWorld(Simulator sim, String url, java.util.function.Supplier<String> state) throws Exception {
        Harness.await("the state to catch up with the world", 90_000, () -> {
            try {
                Harness.assertDatabaseEqualsWorld(sim, url);
                return true;
            } catch (AssertionError | java.sql.SQLException notYet) {
                return false;
            }
        }, state);
        Harness.assertDatabaseEqualsWorld(sim, url);
    }
}
