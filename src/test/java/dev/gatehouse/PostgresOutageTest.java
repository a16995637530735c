package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.shard.ShardStatus;
import dev.gatehouse.state.EmbeddedPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL stops for several (shortened) heartbeat intervals under traffic: the state writer waits, the ring
 * fills, the shards pause reading but keep heartbeating; no shard reconnects, nothing is lost at the bot, and
 * the state is complete once the database is back. With {@code delivery.afterState=false} the bot keeps
 * getting events during the outage (while the ring has room); with {@code true} it waits for the state.
 */
class PostgresOutageTest {
    private static final int OUTAGE_MS = 6 * SpillTest.HEARTBEAT_MS;

    @Test
    void withDeliveryAfterStateFalseTheBotGetsEventsWhileThePostgresIsDown() throws Exception {
        long[] during = outage(false, 120_000);
        assertTrue(during[1] > during[0], "events reached the bot while PostgreSQL was down: " + during[0] + " -> " + during[1]);
    }

    @Test
    void withDeliveryAfterStateTrueTheBotWaitsForTheState() throws Exception {
        long[] during = outage(true, 120_000);
        assertEquals(during[0], during[1], "nothing reached the bot while PostgreSQL was down");
    }

    @Test
    void aShardPausedLongerThanGatewayMaxPausedMsClosesResumablyAndResumesWhenThereIsRoom() throws Exception {
        outage(true, 1_500);
    }

    /**
     * Returns the bot's event count early in the outage and at its end. With a {@code maxPausedMs} shorter than
     * the outage the paused shards close resumably and resume once the ring has room; never an identify.
     */
    private static long[] outage(boolean afterState, long maxPausedMs) throws Exception {
        Path dir = TestPostgres.tempDir("gatehouse-pg-outage");
        Path data = dir.resolve("data");
        EmbeddedPostgres pg = EmbeddedPostgres.start(data, 0);
        int port = pg.port();
        long[] during = new long[2];
        try {
            pg.createDatabase("outage");
            String url = pg.jdbcUrl("outage");
            try (Harness h = new Harness(SpillTest.fastHeartbeats(2, 60, 1000), "--db.url=" + url, "--db.user=" + pg.user(),
                    "--delivery.afterState=" + afterState, "--ring.size=4096", "--delivery.batchSize=50",
                    "--gateway.maxPausedMs=" + maxPausedMs)) {
                h.awaitLoaded();
                h.sim.startTraffic();
                Thread.sleep(1_000);
                pg.close();
                int settle = afterState ? 1_500 : 200; // with afterState, what was stored before the stop is delivered
                Thread.sleep(settle);
                during[0] = h.bot.count();
                Thread.sleep(OUTAGE_MS - settle); // 1000 events/s fill the 4096 slots of the ring meanwhile
                during[1] = h.bot.count();
                long pauses = h.gatehouse.shards().statuses().stream().mapToLong(ShardStatus::pauses).sum();
                assertTrue(pauses > 0, "the full ring paused reading: " + h.gatehouse.statusLine(0));
                pg = EmbeddedPostgres.start(data, port);
                h.sim.stopTraffic();
                h.awaitDelivered();
                Thread.sleep(300);
                h.assertNothingLostInOrder();
                assertEquals(2, h.sim.identifies(), "no shard identified again");
                if (maxPausedMs > OUTAGE_MS) {
                    assertEquals(0, h.sim.resumes(), "no shard reconnected");
                } else {
                    assertTrue(h.sim.resumes() >= 1, "a shard paused past gateway.maxPausedMs closed and resumed");
                }
                Harness.await("the state to catch up with the world", 60_000, () -> {
                    try {
                        Harness.assertDatabaseEqualsWorld(h.sim, url);
                        return true;
                    } catch (AssertionError | java.sql.SQLException notYet) {
                        return false;
                    }
                }, () -> h.gatehouse.statusLine(0));
                Harness.assertDatabaseEqualsWorld(h.sim, url);
            }
        } finally {
            pg.close();
            TestPostgres.delete(dir);
        }
        return during;
    }
}
