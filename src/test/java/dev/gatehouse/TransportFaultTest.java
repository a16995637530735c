package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.shard.ShardStatus;
import dev.gatehouse.sim.FrameFaults;
import dev.gatehouse.sim.SimSetup;
import org.junit.jupiter.api.Test;

/**
 * Gatehouse's shards over the simulator's transport faults, zlib-stream on: every message fragmented into
 * continuation frames, a slow frame, and a frame cut mid-way with the TCP connection dropped. Every dispatch
 * still reaches the bot exactly once, in order, and only the cut costs a resume.
 */
class TransportFaultTest {

    private static ShardStatus shard(Harness h, int id) {
        return h.gatehouse.shards().statuses().get(id);
    }

    @Test
    void fragmentedSlowAndCutFramesLoseNothing() throws Exception {
        SimSetup fragmented = SimSetup.NONE.withFrames(new FrameFaults(64, 0, 0, 0));
        try (Harness h = new Harness(Harness.world(2, 60, 300), fragmented)) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(500);
            h.sim.slowNextMessage(1, 6, 100);
            h.sim.splitNextMessage(0, 7);
            Thread.sleep(500);
            assertEquals(0, shard(h, 0).resumes() + shard(h, 1).resumes(), "fragments and slow frames need no resume");
            h.sim.cutNextMessage(0);
            Harness.await("shard 0 to resume after the cut frame", 90_000,
                    () -> shard(h, 0).resumes() == 1 && shard(h, 0).ready(), () -> shard(h, 0).toString());
            Thread.sleep(500);
            h.sim.stopTraffic();
            h.awaitDelivered();
            Thread.sleep(300);
            h.assertExactlyOnceInOrder();
            assertEquals(2, h.sim.identifies(), "a cut frame is resumed, never identified anew");
        }
    }
}
