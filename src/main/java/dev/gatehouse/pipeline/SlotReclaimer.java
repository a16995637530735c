package dev.gatehouse.pipeline;

import com.lmax.disruptor.EventProcessor;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.util.Util;
import java.util.concurrent.locks.LockSupport;

/**
 * The ring's last consumer: gated after every other one (state writer, delivery, taps), it lets each slot it
 * passes drop a large frame's array ({@link Dispatch#release}). Safe by construction of the ring: a consumer
 * releases a slot by moving its sequence past it, only once it is done with every slot of its batch (the state
 * writer only once the slot's flush is committed), and the producer cannot claim the slot again before this
 * processor has passed it too. So nothing reads a slot this processor changes.
 *
 * <p>It polls instead of waiting on the ring's wait strategy, so publishing never wakes it: every
 * {@link #MIN_PAUSE_NANOS} while slots pass, backing off to {@link #MAX_PAUSE_NANOS} while none do. Its lag is
 * ring capacity the producers cannot use yet: at most one pause of traffic.
 */
final class SlotReclaimer implements EventProcessor {
    static final long MIN_PAUSE_NANOS = 1_000_000;
    static final long MAX_PAUSE_NANOS = 20_000_000;

    private final RingBuffer<Dispatch> ring;
    private final Sequence[] consumers;
    private final Sequence sequence = new Sequence(); // -1: nothing passed yet
    private volatile boolean halted;
    private volatile Thread thread;

    SlotReclaimer(RingBuffer<Dispatch> ring, Sequence[] consumers) {
        this.ring = ring;
        this.consumers = consumers.clone();
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        long pause = MIN_PAUSE_NANOS;
        while (!halted) {
            long done = sequence.get();
            long passed = Util.getMinimumSequence(consumers);
            if (passed > done) {
                for (long s = done + 1; s <= passed; s++) {
                    ring.get(s).release();
                }
                sequence.set(passed);
                pause = MIN_PAUSE_NANOS;
            } else {
                pause = Math.min(MAX_PAUSE_NANOS, pause * 2);
            }
            LockSupport.parkNanos(pause);
        }
    }

    @Override
    public Sequence getSequence() {
        return sequence;
    }

    @Override
    public void halt() {
        halted = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public boolean isRunning() {
        return thread != null && !halted;
    }
}
