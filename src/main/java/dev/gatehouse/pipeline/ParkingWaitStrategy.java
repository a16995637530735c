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
 */
final class ParkingWaitStrategy implements WaitStrategy {
    private static final int SPINS = 64;
    private static final long MIN_PARK_NANOS = 10_000;
    private static final long MAX_PARK_NANOS = 500_000;

    private final Object mutex = new Object();

    @Override
    public long waitFor(long sequence, Sequence cursor, Sequence dependentSequence, SequenceBarrier barrier)
            throws AlertException, InterruptedException {
        if (cursor.get() < sequence) {
            synchronized (mutex) {
                while (cursor.get() < sequence) {
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
        synchronized (mutex) {
            mutex.notifyAll();
        }
    }
}
