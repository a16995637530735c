package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.sim.SimOptions;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The bot is down for several (shortened) heartbeat intervals at a high rate, with a memory bound far below
 * what arrives meanwhile: the events go to the durable spill, memory stays within its bounds, no shard
 * reconnects, and everything arrives in per-shard order once the bot is back.
 */
class SpillTest {
    /** Short enough to compress an outage into seconds, long enough that a starved 2-core machine sees no false zombie. */
    static final int HEARTBEAT_MS = 2_000;
    static final int MAX_QUEUED = 50;
    static final long MAX_QUEUED_BYTES = 64 * 1024;

    static SimOptions fastHeartbeats(int shards, int guilds, int rate) {
        return Harness.world(shards, guilds, rate).withLimits(16, 0, HEARTBEAT_MS, 2500, true);
    }

    @Test
    void aLongBotOutageSpillsToDiskWithinTheMemoryBoundsAndNoShardReconnects() throws Exception {
        try (Harness h = new Harness(fastHeartbeats(2, 60, 2000), "--delivery.maxQueued=" + MAX_QUEUED,
                "--delivery.maxQueuedBytes=" + MAX_QUEUED_BYTES, "--delivery.batchSize=100")) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(500);
            h.bot.stop();
            long downAt = h.sim.dispatched();
            AtomicLong maxEvents = new AtomicLong();
            AtomicLong maxBytes = new AtomicLong();
            long end = System.nanoTime() + 6L * HEARTBEAT_MS * 1_000_000L;
            while (System.nanoTime() < end) {
                maxEvents.accumulateAndGet(h.gatehouse.delivery().queuedInMemory(), Math::max);
                maxBytes.accumulateAndGet(h.gatehouse.delivery().queuedBytes(), Math::max);
                Thread.sleep(20);
            }
            long arrivedMeanwhile = h.sim.dispatched() - downAt;
            assertTrue(arrivedMeanwhile >= 50L * MAX_QUEUED, "the outage saw " + arrivedMeanwhile + " events, 50x the bound");
            assertTrue(h.gatehouse.delivery().spilled() > 0, "events went to the spill");
            assertTrue(h.gatehouse.delivery().spilledBytes() > MAX_QUEUED_BYTES, "the spill holds more than memory may");
            h.bot.start();
            h.sim.stopTraffic();
            h.awaitDelivered();
            Thread.sleep(300);
            h.assertNothingLostInOrder();
            assertTrue(maxEvents.get() <= MAX_QUEUED, "memory held at most " + MAX_QUEUED + " events, saw " + maxEvents.get());
            assertTrue(maxBytes.get() <= MAX_QUEUED_BYTES, "memory held at most " + MAX_QUEUED_BYTES + " bytes, saw " + maxBytes.get());
            assertEquals(2, h.sim.identifies(), "no shard identified again");
            assertEquals(0, h.sim.resumes(), "no shard reconnected");
            assertEquals(0, h.gatehouse.delivery().dropped());
            assertEquals(0, h.gatehouse.delivery().spilledBytes(), "the spill was delivered whole");
        }
    }
}
