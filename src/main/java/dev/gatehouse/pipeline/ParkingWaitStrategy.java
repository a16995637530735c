package dev.gatehouse.pipeline;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;
import java.util.concurrent.locks.LockSupport;

/**
 * Blocks on the ring's cursor like Disruptor's BlockingWaitStrategy, but parks, with a growing pause, while a
 * consumer waits for the consumer before it. BlockingWaitStrategy busy-spins on that dependency: with the
 * forwarder running after the state writer, it burnt a whole core for the length of every database flush
 * (measured with JFR on the demo). The pause is capped at 0.5 ms, the most it adds to a delivery.
 *
 * <p>Publishing takes the lock only when a consumer waits on the cursor ({@link #waiting}): under traffic the
 * consumers rarely do, and the producers' lock and {@code notifyAll} per publish were 5% of the process's CPU
 * samples at the firehose (JFR). A waiter sets the flag before it reads the cursor, a producer writes the cursor
 * before it reads the flag (a fence between each pair): either the waiter sees the new cursor or the producer sees the flag, and
 * then its {@code notifyAll} waits for the lock the waiter holds until it waits.
 */
final class ParkingWaitStrategy implements WaitStrategy {
    private static final int SPINS = 64;
    private static final long MIN_PARK_NANOS = 10_000;
    private static final long MAX_PARK_NANOS = 500_000;

    private final Object mutex = new Object();
    private final java.util.concurrent.atomic.AtomicBoolean waiting = new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
            throws AlertException, InterruptedException {
        if (cursor.get() < sequence) {
            synchronized (mutex) {
                while (true) {
                    waiting.set(true);
                    java.lang.invoke.VarHandle.fullFence(); // the cursor read below may not move before the flag's write
                    if (cursor.get() >= sequence) {
                        break;
                    }
                    barrier.checkAlert();
                    mutex.wait();
                }
            }
        }
        long available;
        int spins = 0;
        long park = MIN_PARK_NANOS;
        while ((available = dependentSequence.get()) < sequence) {
            barrier.checkAlert();
            if (spins++ < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(park);
                park = Math.min(MAX_PARK_NANOS, park * 2);
            }
        }
        return available;
    }

    @Override
    public void signalAllWhenBlocking() {
        if (waiting.getAndSet(false)) {
            synchronized (mutex) {
                mutex.notifyAll();
            }
        }
    }
}
