package dev.gatehouse.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.lmax.disruptor.EventHandler;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Publishing wakes a consumer that waits on the ring's cursor, though it takes the lock only when one waits: a producer
 * that publishes one dispatch at a time and waits until both consumers have seen it (so that they wait on the cursor
 * before nearly every publish, where a lost wake-up would leave a consumer asleep for good), from two producer threads.
 */
class ParkingWaitStrategyTest {
    private static final int EACH = 5_000;

    @Test
    void everyPublishReachesConsumersWaitingOnTheCursor() throws Exception {
        AtomicLong state = new AtomicLong();
        AtomicLong delivery = new AtomicLong();
        EventHandler<Dispatch> s = (d, seq, end) -> state.incrementAndGet();
        EventHandler<Dispatch> del = (d, seq, end) -> delivery.incrementAndGet();
        EventRing ring = new EventRing(64, s, del, false);
        try {
            byte[] f = "{\"op\":0}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Thread[] producers = new Thread[2];
            AtomicLong stuck = new AtomicLong(-1);
            for (int p = 0; p < producers.length; p++) {
                int shard = p;
                producers[p] = new Thread(() -> {
                    for (int i = 0; i < EACH && stuck.get() < 0; i++) {
                        long target = ring.published() + 1;
                        ring.publish(shard, null, i + 1, "MESSAGE_CREATE", 0, f, 0, f.length, System.nanoTime());
                        long deadline = System.nanoTime() + 10_000_000_000L;
                        while (Math.min(state.get(), delivery.get()) < target) {
                            if (System.nanoTime() > deadline) {
                                stuck.set(target);
                                return;
                            }
                            LockSupport.parkNanos(20_000);
                        }
                    }
                });
                producers[p].start();
            }
            for (Thread t : producers) {
                t.join(120_000);
            }
            assertTrue(stuck.get() < 0, () -> "a consumer slept through publish " + stuck.get() + ": state saw " + state.get()
                    + ", delivery " + delivery.get());
            assertTrue(state.get() == 2L * EACH && delivery.get() == 2L * EACH,
                    () -> "every publish consumed: state " + state.get() + ", delivery " + delivery.get());
        } finally {
            ring.shutdown(5_000);
        }
    }

    /**
     * A tap (gated after a state consumer that takes a while per batch, woken by its moves) still gets every dispatch,
     * in order, after the state consumer has it.
     */
    @Test
    void aTapAfterASlowStateConsumerSeesEveryDispatchInOrderAfterIt() throws Exception {
        AtomicLong state = new AtomicLong();
        AtomicLong tapped = new AtomicLong();
        AtomicLong outOfOrder = new AtomicLong();
        EventHandler<Dispatch> s = (d, seq, end) -> {
            if (end) {
                LockSupport.parkNanos(2_000_000); // a transaction's commit
            }
            state.set(seq + 1);
        };
        EventHandler<Dispatch> tap = (d, seq, end) -> {
            if (seq != tapped.get() || state.get() < seq + 1) {
                outOfOrder.incrementAndGet();
            }
            tapped.set(seq + 1);
        };
        EventRing ring = new EventRing(64, s, (d, seq, end) -> { }, true, java.util.List.of(tap));
        try {
            byte[] f = "{\"op\":0}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (int i = 0; i < 2_000; i++) {
                ring.publish(0, null, i + 1, "MESSAGE_CREATE", 0, f, 0, f.length, System.nanoTime());
                if (i % 100 == 0) {
                    LockSupport.parkNanos(3_000_000); // quiet moments: the tap waits on the cursor, then on the state
                }
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (tapped.get() < 2_000 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            assertTrue(tapped.get() == 2_000, () -> "the tap saw " + tapped.get() + " of 2000");
            assertTrue(outOfOrder.get() == 0, () -> outOfOrder.get() + " dispatches out of order or before the state had them");
        } finally {
            ring.shutdown(5_000);
        }
    }
}
