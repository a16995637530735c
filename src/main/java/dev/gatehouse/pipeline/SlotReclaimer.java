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
 *
 * <p>While the ring is idle (fewer than its idle rate of slots published a second over the last
 * {@link #WINDOW_NANOS}; published, not passed, so that slow consumers draining a backlog do not look idle) it drops
 * the slots' kept buffers too, so an idle process holds almost nothing in the
 * ring; under the firehose the slots keep them and a small frame's copy allocates nothing. Slots it passed
 * before the traffic fell keep theirs until it passes them again (the ring wraps), since the producers may
 * claim every slot behind it.
 */
final class SlotReclaimer implements EventProcessor {
    static final long MIN_PAUSE_NANOS = 1_000_000;
    static final long MAX_PAUSE_NANOS = 20_000_000;
    /** The rate is measured over windows of this length. */
    static final long WINDOW_NANOS = 100_000_000;
    /** Below this rate the ring is idle: allocating a buffer per frame costs nothing worth keeping them for. */
    static final int IDLE_SLOTS_PER_SECOND = 1000;

    private final RingBuffer<Dispatch> ring;
    private final Sequence[] consumers;
    private final int idleSlotsPerSecond;
    private final Sequence sequence = new Sequence(); // -1: nothing passed yet
    private volatile boolean halted;
    private volatile Thread thread;

    /** {@code idleSlotsPerSecond}: below this rate kept buffers are dropped too (0: never). */
    SlotReclaimer(RingBuffer<Dispatch> ring, Sequence[] consumers, int idleSlotsPerSecond) {
        if (idleSlotsPerSecond < 0) {
            throw new IllegalArgumentException("idle rate must be at least 0 slots a second, was " + idleSlotsPerSecond);
        }
        this.ring = ring;
        this.consumers = consumers.clone();
        this.idleSlotsPerSecond = idleSlotsPerSecond;
    }

    /** Whether {@code slots} published in {@code nanos} are under {@code idleSlotsPerSecond}. */
    static boolean idle(long slots, long nanos, int idleSlotsPerSecond) {
        return slots * 1e9 < (double) idleSlotsPerSecond * nanos;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        long pause = MIN_PAUSE_NANOS;
        boolean idle = idleSlotsPerSecond > 0;
        long windowStart = System.nanoTime();
        long windowCursor = ring.getCursor();
        while (!halted) {
            long done = sequence.get();
            long passed = Util.getMinimumSequence(consumers);
            if (passed > done) {
                for (long s = done + 1; s <= passed; s++) {
                    ring.get(s).release(idle);
                }
                sequence.set(passed);
                pause = MIN_PAUSE_NANOS;
            } else {
                pause = Math.min(MAX_PAUSE_NANOS, pause * 2);
            }
            long now = System.nanoTime();
            if (now - windowStart >= WINDOW_NANOS) {
                long cursor = ring.getCursor();
                idle = idle(cursor - windowCursor, now - windowStart, idleSlotsPerSecond);
                windowStart = now;
                windowCursor = cursor;
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
