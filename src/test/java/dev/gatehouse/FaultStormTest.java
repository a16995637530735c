package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.shard.ShardStatus;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A storm of the simulator's faults on 16 shards for a bounded time: op 7, op 9 both ways, closes 4000,
 * 4008 and 4009, zombie connections, dropped sockets, malformed frames, frames cut mid-way (then the socket
 * dropped), split into continuation frames or written slowly, one at a time per shard, picked by
 * a seeded random generator. Afterwards every dispatch the simulator sent reached the bot exactly once and in
 * order, and the simulator counted exactly the resumes and identifies the faults call for.
 */
class FaultStormTest {
    private static final int SHARDS = 16;
    private static final int FAULTS = 48;

    /** What a fault must lead to. */
    enum Effect { RESUME, IDENTIFY, NOTHING }

    enum Fault {
        RECONNECT(Effect.RESUME), INVALID_RESUMABLE(Effect.RESUME), INVALID(Effect.IDENTIFY), CLOSE_4000(Effect.RESUME),
        CLOSE_4008(Effect.RESUME), CLOSE_4009(Effect.IDENTIFY), ZOMBIE(Effect.RESUME), DROP(Effect.RESUME),
        MALFORMED(Effect.RESUME), PARTIAL_FRAME(Effect.RESUME), SPLIT_FRAME(Effect.NOTHING), SLOW_FRAME(Effect.NOTHING);

        final Effect effect;

        Fault(Effect effect) {
            this.effect = effect;
        }
    }

    /**
     * Heartbeats every 5 s: zombies are found within two intervals, and on a loaded 2-core machine an ACK
     * never comes late enough to look like one (with 400 ms and 2 s, healthy shards were taken for zombies at a load average of 12).
     */
    @Test
    void everyDispatchArrivesOnceInOrderThroughAStormOfFaults() throws Exception {
        try (Harness h = new Harness(Harness.world(SHARDS, 320, 400).withLimits(16, Harness.IDENTIFY_WINDOW_MS, 5000, 2500, true))) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Random random = new Random(42);
            Fault[] kinds = Fault.values();
            Map<Fault, Integer> applied = new EnumMap<>(Fault.class);
            int[] wantIdentifies = new int[SHARDS];
            int[] wantResumes = new int[SHARDS];
            for (ShardStatus s : h.gatehouse.shards().statuses()) {
                wantIdentifies[s.id()] = s.identifies();
                wantResumes[s.id()] = s.resumes();
            }
            int simIdentifies = (int) h.sim.identifies();
            int simResumes = (int) h.sim.resumes();
            for (int i = 0; i < FAULTS; i++) {
                int shard = random.nextInt(SHARDS);
                Fault f = kinds[random.nextInt(kinds.length)];
                // one fault at a time per shard: the previous one must have been handled (faults on other shards overlap)
                awaitHandled(h, shard, wantIdentifies[shard], wantResumes[shard]);
                apply(h, shard, f);
                applied.merge(f, 1, Integer::sum);
                if (f.effect == Effect.IDENTIFY) {
                    wantIdentifies[shard]++;
                    simIdentifies++;
                } else if (f.effect == Effect.RESUME) {
                    wantResumes[shard]++;
                    simResumes++;
                }
                Thread.sleep(150);
            }
            for (int shard = 0; shard < SHARDS; shard++) {
                awaitHandled(h, shard, wantIdentifies[shard], wantResumes[shard]);
            }
            h.sim.stopTraffic();
            h.awaitDelivered();
            h.assertExactlyOnceInOrder();
            assertEquals(simIdentifies, h.sim.identifies(), "identifies for " + applied);
            assertEquals(simResumes, h.sim.resumes(), "resumes for " + applied);
            assertEquals(0, h.sim.bucketViolations());
            for (ShardStatus s : h.gatehouse.shards().statuses()) {
                assertEquals(wantIdentifies[s.id()], s.identifies(), "identifies of shard " + s.id() + " for " + applied);
                assertEquals(wantResumes[s.id()], s.resumes(), "resumes of shard " + s.id() + " for " + applied);
            }
        }
    }

    private static ShardStatus status(Harness h, int shard) {
        return h.gatehouse.shards().statuses().get(shard);
    }

    /** Waits until a shard is READY with the counters its faults so far call for. */
    private static void awaitHandled(Harness h, int shard, int identifies, int resumes) throws InterruptedException {
        Harness.await("shard " + shard + " to handle its fault (" + identifies + " identifies, " + resumes + " resumes)", 90_000,
                () -> {
                    ShardStatus s = status(h, shard);
                    return s.ready() && s.identifies() == identifies && s.resumes() == resumes;
                }, () -> status(h, shard).toString());
    }

    private static void apply(Harness h, int shard, Fault f) {
        switch (f) {
            case RECONNECT -> h.sim.requestReconnect(shard);
            case INVALID_RESUMABLE -> h.sim.invalidateSession(shard, true);
            case INVALID -> h.sim.invalidateSession(shard, false);
            case CLOSE_4000 -> h.sim.closeShard(shard, 4000);
            case CLOSE_4008 -> h.sim.closeShard(shard, 4008);
            case CLOSE_4009 -> h.sim.closeShard(shard, 4009);
            case ZOMBIE -> h.sim.stopAcking(shard);
            case DROP -> h.sim.dropConnection(shard);
            case MALFORMED -> h.sim.sendMalformedFrame(shard);
            case PARTIAL_FRAME -> h.sim.cutNextMessage(shard);
            case SPLIT_FRAME -> h.sim.splitNextMessage(shard, 3);
            case SLOW_FRAME -> h.sim.slowNextMessage(shard, 4, 50);
        }
    }
}
