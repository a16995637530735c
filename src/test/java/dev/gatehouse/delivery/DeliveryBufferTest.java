package dev.gatehouse.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The delivery buffer's bounds and bookkeeping, without a bot: overflow, in-flight events, the loaded signals' order. */
class DeliveryBufferTest {

    private static Pending event(long order, int shard, String type, int bytes) {
        byte[] body = ("{\"shardId\":" + shard + ",\"data\":{\"t\":\"" + type + "\",\"pad\":\"" + "x".repeat(bytes) + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        return new Pending(order, shard, "session", order, type, body, 0, -1, "");
    }

    private static List<Long> seqs(List<Pending> batch) {
        return batch.stream().map(Pending::seq).toList();
    }

    /** Takes and delivers lane 0 until it is empty; the seqs it delivered, in order. */
    private static List<Long> drain(DeliveryBuffer b) throws InterruptedException {
        List<Long> seqs = new ArrayList<>();
        List<Pending> next = new ArrayList<>();
        do {
            next.clear();
            b.take(0, 10, next, 0);
            seqs.addAll(seqs(next));
            b.delivered(0, next, next.size());
        } while (!next.isEmpty());
        return seqs;
    }

    /** Timeouts here only turn a livelock into a failure instead of a hung build; nothing is timed. */
    private static final Duration HUNG = Duration.ofSeconds(30);

    @Test
    void dropOldestWithNothingToDropDropsTheArrivingEventInsteadOfSpinning() {
        DeliveryBuffer b = new DeliveryBuffer(1, 100, 1024, null, 0, Overflow.DROP_OLDEST);
        assertTimeoutPreemptively(HUNG, () -> {
            assertTrue(b.offer(event(1, 0, "MESSAGE_CREATE", 4096)), "taken (and dropped): larger than the whole memory bound");
            assertEquals(1, b.dropped());
            assertEquals(0, b.memoryEvents());

            // everything in memory is being POSTed: nothing can be dropped, the arriving event is
            assertTrue(b.offer(event(2, 0, "MESSAGE_CREATE", 600)));
            List<Pending> batch = new ArrayList<>();
            b.take(0, 10, batch, 0);
            assertEquals(List.of(2L), seqs(batch));
            assertTrue(b.offer(event(3, 0, "MESSAGE_CREATE", 600)));
            assertEquals(2, b.dropped());
            b.delivered(0, batch, 1);
            assertEquals(0, b.memoryEvents());
        });
    }

    @Test
    void afterAPartialDeliveryTheRestOfTheBatchIsStillInFlight() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("delivery-buffer");
        DeliveryBuffer b = new DeliveryBuffer(1, 2, 1 << 20, dir, 1 << 20, Overflow.DROP_OLDEST);
        assertTimeoutPreemptively(HUNG, () -> {
            b.offer(event(1, 0, "MESSAGE_CREATE", 10));
            b.offer(event(2, 0, "MESSAGE_CREATE", 10));
            List<Pending> batch = new ArrayList<>();
            b.take(0, 10, batch, 0);
            b.delivered(0, batch, 1); // 1 taken, 2 refused for the moment: the lane retries it, it is still in flight
            batch.remove(0);
            b.offer(event(3, 0, "MESSAGE_CREATE", 10));
            // memory is full: the lane moves to the spill; 2, being POSTed, must not come back from it a second time
            b.offer(event(4, 0, "MESSAGE_CREATE", 10));
            b.delivered(0, batch, 1);
            b.endOfBatch();
            List<Long> rest = drain(b);
            assertEquals(List.of(3L, 4L), rest, "2 was delivered once; 3 and 4 follow");
        });
        b.close();
    }

    @Test
    void allLoadedReachesTheBotAfterEveryShardLoadedOfTheOtherLanes() throws Exception {
        DeliveryBuffer b = new DeliveryBuffer(2, 100, 1 << 20, null, 0, Overflow.BLOCK);
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch shard1 = new CountDownLatch(1);
        Target bot = new Target() {
            @Override
            public Answer post(List<Pending> batch) throws InterruptedException {
                if (batch.get(0).shardId() == 1 && shard1.getCount() > 0) {
                    return new Answer(Answer.Verdict.HOLD, 503, "lane 1 is slow", 0);
                }
                for (Pending p : batch) {
                    received.add(p.shardId() + ":" + p.type());
                }
                return new Answer(Answer.Verdict.DELIVERED, 200, "", 0);
            }

            @Override
            public String where() {
                return "test";
            }
        };
        // shard 1 loads first, on lane 1; shard 0 completes the set, on lane 0, and its ALL_LOADED follows
        for (Pending p : List.of(event(1, 1, LoadedGate.SHARD_LOADED, 0), event(2, 0, LoadedGate.SHARD_LOADED, 0),
                event(3, 0, LoadedGate.ALL_LOADED, 0))) {
            b.gate().queuing(p.type());
            b.offer(p);
        }
        Lanes lanes = new Lanes(2, b, bot, null, 10, new LatencyHistogram());
        try {
            assertTimeoutPreemptively(HUNG, () -> {
                while (!received.contains("0:" + LoadedGate.SHARD_LOADED)) {
                    Thread.sleep(5);
                }
                shard1.countDown();
                while (received.size() < 3) {
                    Thread.sleep(5);
                }
            });
            assertEquals(List.of("0:" + LoadedGate.SHARD_LOADED, "1:" + LoadedGate.SHARD_LOADED, "0:" + LoadedGate.ALL_LOADED),
                    received, "ALL_LOADED comes after every SHARD_LOADED");
        } finally {
            lanes.close(0);
            b.close();
        }
    }

    @Test
    void filteredEventsMoveTheCheckpointOnceEverythingBeforeThemIsDone() throws Exception {
        DeliveryBuffer b = new DeliveryBuffer(1, 100, 1 << 20, null, 0, Overflow.BLOCK);
        b.offer(new Pending(1, 0, "old", 7, "MESSAGE_CREATE", new byte[10], 0, -1, ""));
        List<Pending> batch = new ArrayList<>();
        b.take(0, 10, batch, 0);
        b.skipped(new Pending(2, 0, "new", 1, "READY", new byte[0], 0, -1, "")); // a new session, filtered
        org.junit.jupiter.api.Assertions.assertNull(b.done().get(0), "not done before the event ahead of it");
        b.delivered(0, batch, 1);
        assertEquals(new dev.gatehouse.pipeline.Handled.Mark("new", 1), b.done().get(0));
        b.skipped(new Pending(3, 0, "new", 2, "PRESENCE_UPDATE", new byte[0], 0, -1, ""));
        assertEquals(new dev.gatehouse.pipeline.Handled.Mark("new", 2), b.done().get(0), "at once on an empty lane");
    }

    @Test
    void aFullMemoryMovesToTheSpillAtOnceWhileAPostIsInFlight() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("delivery-buffer");
        DeliveryBuffer b = new DeliveryBuffer(1, 2, 1 << 20, dir, 1 << 20, Overflow.BLOCK);
        assertTimeoutPreemptively(HUNG, () -> {
            b.offer(event(1, 0, "MESSAGE_CREATE", 10));
            b.offer(event(2, 0, "MESSAGE_CREATE", 10));
            List<Pending> batch = new ArrayList<>();
            b.take(0, 1, batch, 0); // a slow bot is taking 1
            b.offer(event(3, 0, "MESSAGE_CREATE", 10)); // returns although 1 is still being POSTed
            b.offer(event(4, 0, "MESSAGE_CREATE", 10));
            b.endOfBatch();
            b.delivered(0, batch, 1);
            List<Long> rest = drain(b);
            assertEquals(List.of(2L, 3L, 4L), rest, "1 was delivered once, the rest follow in order");
            assertEquals(0, b.size());
        });
        b.close();
    }

    @Test
    void aShardsCheckpointNeverMovesBackToAnOlderEvent() throws Exception {
        DeliveryBuffer b = new DeliveryBuffer(1, 100, 1 << 20, null, 0, Overflow.BLOCK);
        b.offer(new Pending(5, 0, "new", 3, "MESSAGE_CREATE", new byte[10], 0, -1, ""));
        List<Pending> batch = new ArrayList<>();
        b.take(0, 10, batch, 0);
        b.delivered(0, batch, 1);
        b.skipped(new Pending(2, 0, "old", 9, "PRESENCE_UPDATE", new byte[0], 0, -1, "")); // an older session's, late
        assertEquals(new dev.gatehouse.pipeline.Handled.Mark("new", 3), b.done().get(0));
    }

    /**
     * A lane waiting for events (here with a 60 s timeout, so only a wake-up ends its wait within the test's bound) is
     * woken at the ring batch's end, or once {@link DeliveryBuffer#WAKE_EVENTS} wait for it before the end; only its own
     * lane's events wake it, and it takes every event that came before its wake-up.
     */
    @Test
    void aWaitingLaneIsWokenAtTheBatchsEndOrAfterEnoughEvents() throws Exception {
        DeliveryBuffer b = new DeliveryBuffer(2, 1_000, 1 << 20, null, 0, Overflow.BLOCK);
        try {
            assertTimeoutPreemptively(HUNG, () -> {
                List<Pending> batch = new ArrayList<>();
                Thread lane = waitingTake(b, batch);
                b.offer(event(1, 1, "MESSAGE_CREATE", 10)); // lane 1's
                b.offer(event(2, 0, "MESSAGE_CREATE", 10));
                b.offer(event(3, 0, "MESSAGE_CREATE", 10));
                b.endOfBatch();
                lane.join();
                assertEquals(List.of(2L, 3L), batch.stream().map(Pending::order).toList(), "lane 0 took its two events");
                b.delivered(0, batch, 2);

                List<Pending> more = new ArrayList<>();
                Thread again = waitingTake(b, more);
                for (int i = 0; i < DeliveryBuffer.WAKE_EVENTS; i++) {
                    b.offer(event(10 + i, 0, "MESSAGE_CREATE", 10)); // no batch end: a long ring batch
                }
                again.join();
                assertTrue(more.size() >= 1 && more.get(0).order() == 10, "woken before the batch's end: " + more.size());
            });
        } finally {
            b.close();
        }
    }

    /**
     * A small delivery.maxQueued (8, two lanes): a lane is woken after a quarter of its share (one event), not after
     * {@link DeliveryBuffer#WAKE_EVENTS}, which memory could never hold: with drop-oldest the ring batch's events
     * would be dropped while the lanes, able to take them, slept.
     */
    @Test
    void aSmallQueueWakesItsLanesBeforeMemoryFills() throws Exception {
        DeliveryBuffer b = new DeliveryBuffer(2, 8, 1 << 20, null, 0, Overflow.DROP_OLDEST);
        try {
            assertTimeoutPreemptively(HUNG, () -> {
                List<Pending> batch = new ArrayList<>();
                Thread lane = waitingTake(b, batch);
                b.offer(event(1, 0, "MESSAGE_CREATE", 10)); // no batch end
                lane.join();
                assertEquals(List.of(1L), batch.stream().map(Pending::order).toList(), "woken by its first event");
            });
        } finally {
            b.close();
        }
    }

    /** A lane 0 thread taking into {@code out}, waiting up to 60 s for events; returned once it waits. */
    private static Thread waitingTake(DeliveryBuffer b, List<Pending> out) throws InterruptedException {
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                b.take(0, 1_000, out, 60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        while (t.getState() != Thread.State.TIMED_WAITING) {
            Thread.sleep(1);
        }
        return t;
    }
}
