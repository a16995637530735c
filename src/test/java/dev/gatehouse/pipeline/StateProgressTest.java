package dev.gatehouse.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.Sequence;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The consumers gated after the state writer (delivery, a tap) park until the writer's moves wake them. Every ring here
 * waits with a one-minute bound on that park, so only a signal (a commit, a batch's end, a halt) can wake them within
 * the tests' limits: a lost wake-up fails the test instead of being hidden by a poll.
 */
class StateProgressTest {
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);
    private static final byte[] FRAME = "{\"op\":0}".getBytes(StandardCharsets.US_ASCII);

    /**
     * A writer that commits early, every 7 events, through the sequence the ring hands it (as the state writer's database
     * thread does), and ends each batch with a 1 ms commit: delivery and a tap see every dispatch, in ring order, each
     * only once the writer had committed it.
     */
    @Test
    void dependentsSeeExactlyWhatTheWriterCommittedInOrder() throws Exception {
        AtomicLong committed = new AtomicLong(-1);
        EventHandler<Dispatch> writer = new EventHandler<>() {
            private Sequence sequence;

            @Override
            public void setSequenceCallback(Sequence callback) {
                sequence = callback;
            }

            @Override
            public void onEvent(Dispatch d, long seq, boolean endOfBatch) {
                if (endOfBatch) {
                    LockSupport.parkNanos(1_000_000); // the batch's transaction
                    committed.set(seq);
                } else if (seq % 7 == 0) {
                    committed.set(seq);
                    sequence.set(seq); // an early commit: the dependents may take up to here now
                }
            }
        };
        Follower delivery = new Follower(committed);
        Follower tap = new Follower(committed);
        EventRing ring = new EventRing(64, writer, delivery, true, List.of(tap), 0, new ParkingWaitStrategy(MINUTE));
        int n = 3_000;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (int i = 0; i < n; i++) {
                while (!ring.tryPublish(0, null, i + 1, "MESSAGE_CREATE", 0, GuildKind.NONE, FRAME, 0, FRAME.length,
                        System.nanoTime())) {
                    int at = i;
                    assertTrue(System.nanoTime() < deadline, () -> "the ring stayed full at dispatch " + at + ": delivery saw "
                            + delivery.seen.get() + ", the tap " + tap.seen.get() + " (a dependent slept through a commit)");
                    LockSupport.parkNanos(100_000);
                }
                if (i % 50 == 0) {
                    LockSupport.parkNanos(2_000_000); // quiet moments: the dependents wait on the cursor, then on the writer
                }
            }
            delivery.awaitSeen(n);
            tap.awaitSeen(n);
        } finally {
            ring.shutdown(5_000);
        }
        assertEquals(0, delivery.wrong.get(), "delivery: dispatches out of order or before the writer committed them");
        assertEquals(0, tap.wrong.get(), "the tap: dispatches out of order or before the writer committed them");
    }

    /** A delivery consumer parked for a writer that never commits ends when the ring halts it. */
    @Test
    void aHaltEndsTheWaitForAWriterThatNeverCommits() throws Exception {
        CountDownLatch writerHolds = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch deliveryStopped = new CountDownLatch(1);
        AtomicLong delivered = new AtomicLong();
        EventHandler<Dispatch> writer = (d, seq, end) -> {
            writerHolds.countDown();
            release.await(); // a commit that does not come back
        };
        EventHandler<Dispatch> delivery = new EventHandler<>() {
            @Override
            public void onEvent(Dispatch d, long seq, boolean endOfBatch) {
                delivered.incrementAndGet();
            }

            @Override
            public void onShutdown() {
                deliveryStopped.countDown();
            }
        };
        EventRing ring = new EventRing(64, writer, delivery, true, List.of(), 0, new ParkingWaitStrategy(MINUTE));
        try {
            ring.publish(0, null, 1, "MESSAGE_CREATE", 0, FRAME, 0, FRAME.length, System.nanoTime());
            assertTrue(writerHolds.await(10, TimeUnit.SECONDS), "the writer took the dispatch");
            assertEquals(1, ring.shutdown(200), "the dispatch the writer holds was not delivered");
            assertTrue(deliveryStopped.await(10, TimeUnit.SECONDS), "the halt woke the delivery consumer and it stopped");
            assertEquals(0, delivered.get(), "nothing delivered before the writer had it");
        } finally {
            release.countDown();
        }
    }

    /** A dependent that checks each dispatch comes next in ring order and after the writer's commit of it. */
    private static final class Follower implements EventHandler<Dispatch> {
        private final AtomicLong committed;
        final AtomicLong seen = new AtomicLong();
        final AtomicLong wrong = new AtomicLong();

        Follower(AtomicLong committed) {
            this.committed = committed;
        }

        @Override
        public void onEvent(Dispatch d, long seq, boolean endOfBatch) {
            if (seq != seen.get() || committed.get() < seq) {
                wrong.incrementAndGet();
            }
            seen.set(seq + 1);
        }

        void awaitSeen(long n) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (seen.get() < n && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            assertEquals(n, seen.get(), "dispatches seen: a dependent slept through a move of the writer's sequence");
        }
    }
}
