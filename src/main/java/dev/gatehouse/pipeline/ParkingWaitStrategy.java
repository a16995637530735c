package dev.gatehouse.pipeline;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;
import java.util.concurrent.locks.LockSupport;

/**
 * Blocks on the ring's cursor like Disruptor's BlockingWaitStrategy, but parks while a consumer waits for the
 * consumer before it. BlockingWaitStrategy busy-spins on that dependency: with the forwarder running after the state
 * writer, it burnt a whole core for the length of every database flush (measured with JFR on the demo). The consumers
 * gated after the state writer (delivery, the taps: {@link #wakeOnAdvance}) park until the writer's moves wake them
 * ({@link #advanced}, called by {@link StateProgress}); any other (the reclaimer) parks with a growing pause, capped at
 * 0.5 ms.
 *
 * <p>Publishing takes the lock only when a consumer waits on the cursor ({@link #waiting}): under traffic the
 * consumers rarely do, and the producers' lock and {@code notifyAll} per publish were 5% of the process's CPU
 * samples at the firehose (JFR). A waiter sets the flag before it reads the cursor, a producer writes the cursor
 * before it reads the flag (a fence between each pair): either the waiter sees the new cursor or the producer sees the flag, and
 * then its {@code notifyAll} waits for the lock the waiter holds until it waits.
 *
 * <p>Linger ({@code state.lingerMs}): one consumer's barrier ({@link #lingerFor}, the state writer's) may wait a little
 * longer for company. When that consumer asks for its next batch and fewer than {@code enough} events are there (none,
 * or the one or two that came during its last commit), it is not handed them at once: it waits up to the linger (in a
 * few parks, not a spin) or until {@code enough} are there, and then takes them all as one Disruptor batch, which the
 * writer commits as one transaction (a group commit). A backlog of {@code enough} never lingers, and a quiet ring hands
 * over what it has when the linger ends: an event waits at most the linger more than without it.
 */
final class ParkingWaitStrategy implements WaitStrategy {
    private static final int SPINS = 64;
    private static final long MIN_PARK_NANOS = 10_000;
    private static final long MAX_PARK_NANOS = 500_000;
    /**
     * The longest a consumer woken by the state writer's commits ({@link #wakeOnAdvance}) parks between two looks at the
     * writer's sequence. Not a poll: every move the writer makes signals it; this bounds only a move the Disruptor makes
     * by itself (a batch that failed and is skipped), which nothing signals.
     */
    static final long ADVANCE_PARK_NANOS = 10_000_000;

    /** How long a consumer woken by the writer's moves parks at most between two looks ({@link #ADVANCE_PARK_NANOS}). */
    private final long advancePark;

    ParkingWaitStrategy() {
        this(ADVANCE_PARK_NANOS);
    }

    /** With another bound for a woken consumer's park (tests: a long one, so that only the signals wake it). */
    ParkingWaitStrategy(long advanceParkNanos) {
        this.advancePark = advanceParkNanos;
    }

    private final Object mutex = new Object();
    private final java.util.concurrent.atomic.AtomicBoolean waiting = new java.util.concurrent.atomic.AtomicBoolean();
    /** The barrier whose consumer lingers (null: none), how long, and how many events end the linger early. */
    private volatile SequenceBarrier lingering;
    /** The consumers gated after the state writer that its commits wake ({@link #wakeOnAdvance}), each with its waiting thread. */
    private volatile Waiter[] woken = new Waiter[0];
    private volatile long lingerNanos;
    private volatile int enough;
    private final java.util.concurrent.atomic.LongAdder lingers = new java.util.concurrent.atomic.LongAdder();

    /**
     * Makes the consumer of {@code barrier} linger up to {@code nanos} for company when fewer than {@code enough} events
     * are waiting for it (0 nanos: never lingers).
     */
    void lingerFor(SequenceBarrier barrier, long nanos, int enough) {
        if (nanos < 0 || enough < 1) {
            throw new IllegalArgumentException("a linger needs nanos >= 0 and enough >= 1, got " + nanos + " and " + enough);
        }
        this.lingerNanos = nanos;
        this.enough = enough;
        this.lingering = nanos > 0 ? barrier : null;
    }

    /**
     * Makes the consumer of {@code barrier}, gated after the state writer, wait for the writer's sequence by parking
     * until {@link #advanced} wakes it, instead of polling it with growing pauses: one wake-up per commit instead of about
     * 18 per state transaction (branch http6's count at the 0.5 ms cap), and no pause's worth of delay after a commit.
     */
    void wakeOnAdvance(SequenceBarrier barrier) {
        Waiter[] w = java.util.Arrays.copyOf(woken, woken.length + 1);
        w[w.length - 1] = new Waiter(barrier);
        woken = w;
    }

    /**
     * The state writer's sequence moved (a commit, or a batch's end): wakes the consumers of {@link #wakeOnAdvance} that
     * wait for it. Called by the thread that moved it, after the move.
     */
    void advanced() {
        java.lang.invoke.VarHandle.fullFence(); // the sequence's write before the waiters' reads (it is a release store only)
        for (Waiter w : woken) {
            Thread t = w.thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    private Waiter waiterOf(SequenceBarrier barrier) {
        for (Waiter w : woken) {
            if (w.barrier == barrier) {
                return w;
            }
        }
        return null;
    }

    /** A consumer woken by the writer's moves, and its thread while it waits for one (null: not waiting). */
    private static final class Waiter {
        final SequenceBarrier barrier;
        volatile Thread thread;

        Waiter(SequenceBarrier barrier) {
            this.barrier = barrier;
        }
    }

    /** How many times the lingering consumer waited for company (at most once per batch). */
    long lingers() {
        return lingers.sum();
    }

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
        if (barrier == lingering && cursor.get() - sequence + 1 < enough) {
            linger(sequence, cursor, barrier);
        }
        long available;
        int spins = 0;
        long park = MIN_PARK_NANOS;
        Waiter waiter = waiterOf(barrier);
        while ((available = dependentSequence.get()) < sequence) {
            barrier.checkAlert();
            if (spins++ < SPINS) {
                Thread.onSpinWait();
            } else if (waiter != null) {
                awaitAdvance(waiter, sequence, dependentSequence, barrier);
            } else {
                LockSupport.parkNanos(park);
                park = Math.min(MAX_PARK_NANOS, park * 2);
            }
        }
        return available;
    }

    /**
     * Parks until the writer's sequence reaches {@code sequence}, woken by {@link #advanced} (or an alert: a halt). The
     * waiter shows its thread before it reads the sequence, the writer writes the sequence before it reads the thread (a
     * fence between each pair): either this read sees the move or the writer sees the thread and unparks it.
     */
    private void awaitAdvance(Waiter waiter, long sequence, Sequence dependentSequence, SequenceBarrier barrier)
            throws AlertException {
        waiter.thread = Thread.currentThread();
        try {
            java.lang.invoke.VarHandle.fullFence();
            while (dependentSequence.get() < sequence) {
                barrier.checkAlert();
                LockSupport.parkNanos(advancePark);
            }
        } finally {
            waiter.thread = null;
        }
    }

    /** Waits up to the linger, in four parks at most, for {@code enough} events from {@code sequence} on. */
    private void linger(long sequence, Sequence cursor, SequenceBarrier barrier) throws AlertException {
        lingers.increment();
        long total = lingerNanos;
        long slice = Math.max(MIN_PARK_NANOS, total / 4);
        long deadline = System.nanoTime() + total;
        long left;
        while (cursor.get() - sequence + 1 < enough && (left = deadline - System.nanoTime()) > 0) {
            barrier.checkAlert();
            LockSupport.parkNanos(Math.min(slice, left));
        }
    }

    /**
     * Called on every publish, and by an alert (a halt: the barrier is alerted first). A consumer parked for the writer's
     * sequence is unparked only by an alert of its own barrier: the writer's moves wake it, publishes need not.
     */
    @Override
    public void signalAllWhenBlocking() {
        if (waiting.getAndSet(false)) {
            synchronized (mutex) {
                mutex.notifyAll();
            }
        }
        for (Waiter w : woken) {
            Thread t = w.thread;
            if (t != null && w.barrier.isAlerted()) {
                LockSupport.unpark(t);
            }
        }
    }
}
