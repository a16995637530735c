package dev.gatehouse.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.lmax.disruptor.EventHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The state writer's busy linger ({@code state.busyLingerMs}) through a real ring, by the batches its consumer is
 * handed. The busy linger is a minute, so a batch it covers can only end by being full ({@code enough} events), and the
 * test's waits (30 s) end long before it would run out. A lone event is handed over after the short linger (1 ms),
 * alone; events that came while the consumer was busy with one batch (its commit) are handed over after the short
 * linger too (a single crowded ask may be a stall); when they came during each of its last two batches, the consumer
 * waits for company until {@code enough} are there and takes them as one batch; and once a batch finds no company, the
 * short linger is back. No duration is asserted.
 */
class BusyLingerTest {
    private static final int ENOUGH = 20;
    private static final int CROWD = ParkingWaitStrategy.COMPANY + 2;
    private static final byte[] FRAME = "{\"op\":0}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @Test
    void companyDuringTwoCommitsInARowMakesTheNextBatchWaitForMoreAndAQuietRingKeepsTheShortLinger() throws Exception {
        // the first two batches' "commits" last until the test has published what comes during them
        Committing state = new Committing(2);
        List<Integer> batches = state.batches;
        List<CountDownLatch> committing = state.committing;
        List<CountDownLatch> release = state.release;
        EventRing ring = new EventRing(64, state, (d, seq, end) -> { }, true, List.of(), 1, ENOUGH);
        ring.stateBusyLinger(60_000);
        try {
            publish(ring, 1);
            assertTrue(committing.get(0).await(30, TimeUnit.SECONDS), "the lone first event was handed over after the short linger");
            publish(ring, CROWD); // they come while the consumer commits its first batch
            release.get(0).countDown();
            assertTrue(committing.get(1).await(30, TimeUnit.SECONDS),
                    "one crowded ask after a quiet one: the short linger, not the busy one " + batches);
            assertEquals(List.of(1, CROWD), batches);
            publish(ring, CROWD); // they come while it commits its second batch: company twice in a row
            release.get(1).countDown();
            Thread.sleep(50); // the consumer is now in its busy linger with 10 events: it must not take them alone
            assertEquals(List.of(1, CROWD), batches, "the events that came during two commits in a row wait for company");
            publish(ring, ENOUGH - CROWD);
            awaitBatches(batches, 3);
            assertEquals(List.of(1, CROWD, ENOUGH), batches, "the busy linger ended when enough events were there, as one batch");
            assertEquals(1, ring.stateBusyLingers(), "one busy linger");

            publish(ring, 1); // nothing came during that batch: a lone event lingers the short linger only
            awaitBatches(batches, 4);
            assertEquals(List.of(1, CROWD, ENOUGH, 1), batches);
            assertEquals(1, ring.stateBusyLingers(), "no company during the last batch: no busy linger");
            assertEquals(4, ring.stateLingers(), "every batch below enough lingered");
        } finally {
            ring.shutdown(5_000);
        }
    }

    /**
     * Near the writer's capacity: when {@link ParkingWaitStrategy#BUSY_ENOUGH} events came during each of its last two
     * batches, it takes them at once, though {@code enough} is 500 and the busy linger a minute.
     */
    @Test
    void aBusyWriterWithBusyEnoughWaitingTakesThemAtOnce() throws Exception {
        int crowd = ParkingWaitStrategy.BUSY_ENOUGH + 6;
        Committing state = new Committing(3);
        List<Integer> batches = state.batches;
        List<CountDownLatch> committing = state.committing;
        List<CountDownLatch> release = state.release;
        EventRing ring = new EventRing(1024, state, (d, seq, end) -> { }, true, List.of(), 1, 500);
        ring.stateBusyLinger(60_000);
        try {
            publish(ring, 1);
            assertTrue(committing.get(0).await(30, TimeUnit.SECONDS), "a lone event after the short linger");
            publish(ring, crowd); // during the first batch's commit
            release.get(0).countDown();
            assertTrue(committing.get(1).await(30, TimeUnit.SECONDS), "one crowded ask: the short linger " + batches);
            publish(ring, crowd); // during the second's: company twice in a row, and busy-enough of it
            release.get(1).countDown();
            assertTrue(committing.get(2).await(30, TimeUnit.SECONDS), "busy, with enough for a batch: taken at once " + batches);
            assertEquals(List.of(1, crowd, crowd), batches);
            assertEquals(2, ring.stateLingers(), "the first two batches lingered, the third did not");
            assertEquals(0, ring.stateBusyLingers(), "the busy linger was skipped, not waited");
            release.get(2).countDown();
        } finally {
            ring.shutdown(5_000);
        }
    }

    /**
     * With delivery beside the writer ({@code delivery.afterState=false}) the two have barriers of their own: only the
     * writer lingers (on one shared barrier delivery lingered as the writer does, and both wrote the writer's rate memory).
     */
    @Test
    void deliveryBesideTheWriterNeverLingers() throws Exception {
        CountDownLatch both = new CountDownLatch(2);
        EventHandler<Dispatch> counting = (d, seq, end) -> {
            if (end) {
                both.countDown();
            }
        };
        EventRing ring = new EventRing(64, counting, counting, false, List.of(), 1, ENOUGH);
        try {
            publish(ring, 1);
            assertTrue(both.await(30, TimeUnit.SECONDS), "the writer and delivery each took the event");
            assertEquals(1, ring.stateLingers(), "the writer lingered; delivery did not");
        } finally {
            ring.shutdown(5_000);
        }
    }

    @Test
    void aBusyLingerShorterThanTheLingerIsRefused() {
        EventRing ring = new EventRing(64, (d, s, e) -> { }, (d, s, e) -> { }, true, List.of(), 5, ENOUGH);
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ring.stateBusyLinger(4));
            assertTrue(e.getMessage().contains("at least the linger"), e.getMessage());
        } finally {
            ring.shutdown(5_000);
        }
    }

    /**
     * A state consumer that records the size of each batch it is handed, and whose first few batches' ends (their
     * "commits") last until the test releases them: what the test publishes meanwhile comes during a commit.
     */
    private static final class Committing implements EventHandler<Dispatch> {
        final List<Integer> batches = new CopyOnWriteArrayList<>();
        final List<CountDownLatch> committing = new ArrayList<>();
        final List<CountDownLatch> release = new ArrayList<>();
        private int inBatch;

        Committing(int held) {
            for (int i = 0; i < held; i++) {
                committing.add(new CountDownLatch(1));
                release.add(new CountDownLatch(1));
            }
        }

        @Override
        public void onEvent(Dispatch d, long sequence, boolean endOfBatch) throws InterruptedException {
            inBatch++;
            if (endOfBatch) {
                int n = batches.size();
                batches.add(inBatch);
                inBatch = 0;
                if (n < committing.size()) {
                    committing.get(n).countDown();
                    release.get(n).await(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static void publish(EventRing ring, int n) {
        for (int i = 0; i < n; i++) {
            long seq = ring.published() + 1;
            ring.publish(0, null, seq, "MESSAGE_CREATE", 0, FRAME, 0, FRAME.length, System.nanoTime());
        }
    }

    private static void awaitBatches(List<Integer> batches, int n) throws InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        while (batches.size() < n) {
            assertTrue(System.nanoTime() < end, "timed out waiting for batch " + n + ": " + batches);
            Thread.sleep(5);
        }
    }
}
