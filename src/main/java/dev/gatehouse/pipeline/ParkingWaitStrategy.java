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
 *
 * <p>Busy linger ({@code state.busyLingerMs}, {@link #busyLinger}): when {@link #COMPANY} or more events came while the
 * consumer wrote each of its last two batches, the rate is high and the batch is set by the commit's length, not by the
 * linger: the consumer then lingers longer (until {@link #BUSY_ENOUGH} events are there at most), so a transaction's
 * fixed cost (its statements, its commit) is shared by more events; with that many there already it does not linger at all. A low rate
 * (events/s times a commit's length under {@link #COMPANY}) never finds that company twice in a row and keeps the short
 * linger's latency.
 */
final class ParkingWaitStrategy implements WaitStrategy {
    private static final int SPINS = 64;
    private static final long MIN_PARK_NANOS = 10_000;
    private static final long MAX_PARK_NANOS = 500_000;
    /** The longest park inside a linger (see {@link #linger}). */
    private static final long MAX_LINGER_SLICE_NANOS = 1_000_000;
    /**
     * The longest a consumer woken by the state writer's commits ({@link #wakeOnAdvance}) parks between two looks at the
     * writer's sequence. Not a poll: every move the writer makes signals it (a failed event's skip too, see
     * {@link StateProgress}); this bounds only a move the Disruptor makes by itself after a failure outside the writer's
     * events (its batch start, its own wait), which nothing signals.
     */
    static final long ADVANCE_PARK_NANOS = 10_000_000;

    /** How long a consumer woken by the writer's moves parks at most between two looks ({@link #ADVANCE_PARK_NANOS}). */
    private final long advancePark;
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
     * The busy linger ({@code state.busyLingerMs}): when at least {@link #COMPANY} events came while the lingering
     * consumer wrote each of its last two batches (the rate is high), it lingers up to this instead of {@link #lingerNanos}.
     */
    private volatile long busyLingerNanos;
    /**
     * Events waiting when the lingering consumer asks again, from which the rate counts as high: at 1000 events/s the
     * state writer's commit lets 2-4 come meanwhile, at 3000/s 12-20 (the firehose bench). Below it a commit of a few
     * events costs little and the short linger keeps latency; at or above it the commit's per-transaction cost is paid
     * for 15-20 events, and a longer linger shares it among more.
     */
    static final int COMPANY = 8;
    /**
     * Whether the lingering consumer's previous ask found {@link #COMPANY} too: the busy linger needs two in a row, so a
     * stall at a low rate (a pause of the machine, after which a few events wait at once) is not made longer still.
     * Only the lingering consumer's thread reads and writes it.
     */
    private boolean companyBefore;
    /**
     * Events that end a busy linger early (or skip it): a transaction's fixed cost (its statements and commit, about
     * 0.5 ms of PostgreSQL's CPU) shared by 64 events is under 10 us each, and the rows' own cost does not shrink with
     * more.
     */
    static final int BUSY_ENOUGH = 64;
    private final java.util.concurrent.atomic.LongAdder busyLingers = new java.util.concurrent.atomic.LongAdder();

    ParkingWaitStrategy() {
        this(ADVANCE_PARK_NANOS);
    }

    /** With another bound for a woken consumer's park (tests: a long one, so that only the signals wake it). */
    ParkingWaitStrategy(long advanceParkNanos) {
        this.advancePark = advanceParkNanos;
    }

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
        if (waiterOf(barrier) != null) {
            // a Waiter holds one waiting thread: two consumers on one barrier would hide each other's wake-ups
            throw new IllegalStateException("one consumer per barrier woken by the writer's moves: this one has one already");
        }
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

    /**
     * Makes the lingering consumer wait up to {@code nanos} (at least its linger) when {@link #COMPANY} or more events
     * came during each of its last two batches; without a call, or with the linger's own length, the linger does not adapt.
     */
    void busyLinger(long nanos) {
        if (nanos < lingerNanos) {
            throw new IllegalArgumentException("the busy linger must be at least the linger (" + lingerNanos + " ns), got " + nanos);
        }
        this.busyLingerNanos = nanos;
    }

    /** How many of the {@link #lingers()} were busy ones (the rate was high: {@link #busyLinger}). */
    long busyLingers() {
        return busyLingers.sum();
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

    /**
     * Waits up to the linger, in parks of at most 1 ms (four for the default lingers), for {@code enough} events from
     * {@code sequence} on. When {@link #COMPANY} or more are already there (they came while the consumer wrote its last batch), as they were at its
     * ask before, it is the busy linger, for {@link #BUSY_ENOUGH} events at most, and none at all when that many are
     * there already: near the writer's capacity its batches are large by themselves, and a linger would only leave it
     * idle while events wait.
     */
    private void linger(long sequence, Sequence cursor, SequenceBarrier barrier) throws AlertException {
        long waiting = cursor.get() - sequence + 1;
        boolean company = waiting >= COMPANY;
        boolean busy = company && companyBefore && busyLingerNanos > lingerNanos;
        companyBefore = company;
        long total = lingerNanos;
        long want = enough;
        if (busy) {
            want = Math.min(enough, BUSY_ENOUGH);
            if (waiting >= want) {
                return;
            }
            busyLingers.increment();
            total = busyLingerNanos;
        }
        lingers.increment();
        // at most 1 ms a park: nothing wakes a linger (a publish does not), so its early end (enough events) and an alert
        // (a halt) are seen after the park it is in
        long slice = Math.max(MIN_PARK_NANOS, Math.min(MAX_LINGER_SLICE_NANOS, total / 4));
        long deadline = System.nanoTime() + total;
        long left;
        while (cursor.get() - sequence + 1 < want && (left = deadline - System.nanoTime()) > 0) {
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
