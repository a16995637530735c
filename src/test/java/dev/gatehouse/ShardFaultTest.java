package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.shard.ShardStatus;
import org.junit.jupiter.api.Test;

/**
 * The shards against the simulator's faults: resumable closes and op 7 resume, op 9 false identifies anew,
 * fatal close codes stop only their shard. After each, every dispatch reached the bot exactly once, in order.
 */
class ShardFaultTest {

    private static ShardStatus shard(Harness h, int id) {
        return h.gatehouse.shards().statuses().get(id);
    }

    private static void awaitReady(Harness h, int id) throws InterruptedException {
        Harness.await("shard " + id + " ready again", 30_000, () -> shard(h, id).ready(), () -> shard(h, id).toString());
    }

    /**
     * How long a resume may take here: longer than the shard's own 60 s RESUMED deadline, so that a resume
     * the shard has to retry on a loaded machine still ends in an exact outcome rather than a timeout.
     */
    private static final long RESUME_WAIT_MS = 90_000;

    private static void settle(Harness h) throws InterruptedException {
        h.sim.stopTraffic();
        h.awaitDelivered();
        Thread.sleep(300);
    }

    @Test
    void resumableClosesAndReconnectRequestsResumeWithoutLosingOrRepeatingAnything() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 60, 300))) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(500);
            h.sim.closeShard(1, 4000);
            Harness.await("shard 1 to resume", RESUME_WAIT_MS, () -> shard(h, 1).resumes() == 1 && shard(h, 1).ready(),
                    () -> shard(h, 1).toString());
            h.sim.requestReconnect(0);
            Harness.await("shard 0 to resume", RESUME_WAIT_MS, () -> shard(h, 0).resumes() == 1 && shard(h, 0).ready(),
                    () -> shard(h, 0).toString());
            h.sim.invalidateSession(1, true);
            Harness.await("shard 1 to resume again", RESUME_WAIT_MS, () -> shard(h, 1).resumes() == 2 && shard(h, 1).ready(),
                    () -> shard(h, 1).toString());
            Thread.sleep(500);
            settle(h);
            h.assertExactlyOnceInOrder();
            assertEquals(1, shard(h, 0).identifies());
            assertEquals(1, shard(h, 1).identifies());
            assertEquals(2, h.sim.identifies(), "resumes never identify");
        }
    }

    @Test
    void anInvalidSessionIdentifiesAnewAndTheNewSessionIsDeliveredToo() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 60, 300))) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(500);
            h.sim.invalidateSession(0, false);
            Harness.await("shard 0 to identify anew", 30_000, () -> shard(h, 0).identifies() == 2 && shard(h, 0).ready(),
                    () -> shard(h, 0).toString());
            Thread.sleep(500);
            settle(h);
            h.assertExactlyOnceInOrder();
            assertEquals(3, h.sim.identifies());
        }
    }

    @Test
    void zombiesDroppedSocketsAndBadFramesAreResumedWithoutLoss() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 60, 300).withLimits(16, 5000, 400, 2500, true))) {
            h.awaitLoaded();
            h.sim.startTraffic();
            long beats = h.sim.heartbeats();
            h.sim.requestHeartbeat(0);
            Harness.await("a heartbeat on request", 5_000, () -> h.sim.heartbeats() > beats, () -> "none");
            h.sim.stopAcking(0);
            Harness.await("shard 0 to resume after the zombie", RESUME_WAIT_MS, () -> shard(h, 0).resumes() == 1 && shard(h, 0).ready(),
                    () -> shard(h, 0).toString());
            h.sim.dropConnection(1);
            Harness.await("shard 1 to resume after the drop", RESUME_WAIT_MS, () -> shard(h, 1).resumes() == 1 && shard(h, 1).ready(),
                    () -> shard(h, 1).toString());
            h.sim.sendMalformedFrame(1);
            Harness.await("shard 1 to resume after the bad frame", RESUME_WAIT_MS,
                    () -> shard(h, 1).resumes() == 2 && shard(h, 1).ready(), () -> shard(h, 1).toString());
            Thread.sleep(500);
            settle(h);
            h.assertExactlyOnceInOrder();
            assertEquals(2, h.sim.identifies(), "every fault here is resumable");
        }
    }

    @Test
    void aSessionWhoseResumesKeepFailingIsGivenUpForAFreshIdentify() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 60, 300))) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(500);
            h.sim.stopTraffic();
            h.awaitDelivered();
            h.sim.failResumes(0, 10);
            h.sim.closeShard(0, 4000);
            Harness.await("shard 0 to identify anew after failed resumes", RESUME_WAIT_MS,
                    () -> shard(h, 0).identifies() == 2 && shard(h, 0).ready(), () -> shard(h, 0).toString());
            // no traffic from here on: the simulator keeps the given-up session resumable (as Discord does until
            // it times out) and would route events into it that no client holds
            settle(h);
            h.assertExactlyOnceInOrder();
            assertEquals(0, shard(h, 0).resumes(), "no resume succeeded");
            assertEquals(3, h.sim.identifies(), "one fresh identify after three failed resumes, no loop");
        }
    }

    @Test
    void aFatalCloseStopsOnlyItsShardWithTheNamedCause() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 60, 300))) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(300);
            h.sim.closeShard(1, 4004);
            Harness.await("shard 1 to stop", 30_000, () -> "STOPPED".equals(shard(h, 1).state()), () -> shard(h, 1).toString());
            assertEquals(4004, shard(h, 1).lastCloseCode());
            long before = shard(h, 0).dispatches();
            Thread.sleep(1_500);
            assertTrue(shard(h, 0).ready() && shard(h, 0).dispatches() > before, "shard 0 keeps receiving");
            assertEquals("STOPPED", shard(h, 1).state(), "no retry after a fatal close");
            assertEquals(2, h.sim.identifies());
        }
    }
}
