package dev.gatehouse.delivery;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded holding area between the ring and the bot: one FIFO per lane (a shard always maps to the same
 * lane, so its events stay in order), and one bound over all of them. What happens at the bound is the
 * configured {@link Overflow}; every drop is counted and each overflow episode logged once.
 */
final class DeliveryBuffer {
    private static final System.Logger LOG = System.getLogger(DeliveryBuffer.class.getName());

    private final ArrayDeque<Pending>[] lanes;
    /** Events at the head of each lane being POSTed now: never dropped, removed by {@link #remove}. */
    private final int[] inFlight;
    private final int max;
    private final Overflow overflow;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private int size;
    private long dropped;
    private long droppedInEpisode;
    private boolean closed;

    @SuppressWarnings("unchecked")
    DeliveryBuffer(int laneCount, int max, Overflow overflow) {
        this.lanes = new ArrayDeque[laneCount];
        this.inFlight = new int[laneCount];
        for (int i = 0; i < laneCount; i++) {
            lanes[i] = new ArrayDeque<>();
        }
        this.max = max;
        this.overflow = overflow;
    }

    int laneOf(int shardId) {
        return shardId % lanes.length;
    }

    /** Adds an event, applying the overflow policy at the bound. Returns false only when closed. */
    boolean offer(Pending p) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (size >= max && !closed) {
                if (overflow == Overflow.BLOCK) {
                    notFull.await(1, TimeUnit.SECONDS);
                    continue;
                }
                noteDrop();
                if (overflow == Overflow.DROP_NEWEST) {
                    return true;
                }
                dropOldest();
            }
            if (closed) {
                return false;
            }
            if (droppedInEpisode > 0 && size < max / 2) {
                LOG.log(System.Logger.Level.WARNING, "delivery: queue has room again; " + droppedInEpisode
                        + " events were dropped by delivery.overflow=" + name());
                droppedInEpisode = 0;
            }
            lanes[laneOf(p.shardId())].add(p);
            size++;
            notEmpty.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void noteDrop() {
        dropped++;
        if (droppedInEpisode++ == 0) {
            LOG.log(System.Logger.Level.WARNING, "delivery: " + max + " events queued (delivery.maxQueued); dropping "
                    + (overflow == Overflow.DROP_NEWEST ? "arriving" : "oldest") + " events by delivery.overflow=" + name()
                    + " until the bot catches up");
        }
    }

    private String name() {
        return overflow.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** Drops the oldest event that is not being POSTed. */
    private void dropOldest() {
        int lane = -1;
        long oldest = Long.MAX_VALUE;
        for (int i = 0; i < lanes.length; i++) {
            Pending p = waitingHead(i);
            if (p != null && p.order() < oldest) {
                oldest = p.order();
                lane = i;
            }
        }
        if (lane < 0) {
            return;
        }
        java.util.Iterator<Pending> it = lanes[lane].iterator();
        for (int skip = inFlight[lane]; skip > 0; skip--) {
            it.next();
        }
        it.next();
        it.remove();
        size--;
    }

    private Pending waitingHead(int lane) {
        int skip = inFlight[lane];
        for (Pending p : lanes[lane]) {
            if (skip-- == 0) {
                return p;
            }
        }
        return null;
    }

    /**
     * Copies up to {@code max} events from the head of a lane into {@code out}, waiting up to the timeout
     * for one. The events stay queued until {@link #remove} confirms delivery.
     */
    void peek(int lane, int maxEvents, List<Pending> out, long timeoutMs) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            ArrayDeque<Pending> q = lanes[lane];
            long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (q.isEmpty() && nanos > 0 && !closed) {
                nanos = notEmpty.awaitNanos(nanos);
            }
            int n = 0;
            for (Pending p : q) {
                if (n++ == maxEvents) {
                    break;
                }
                out.add(p);
            }
            inFlight[lane] = out.size();
        } finally {
            lock.unlock();
        }
    }

    /** Removes the first {@code count} events of a lane, after the bot took them (or refused them for good). */
    void remove(int lane, int count) {
        lock.lock();
        try {
            ArrayDeque<Pending> q = lanes[lane];
            for (int i = 0; i < count && !q.isEmpty(); i++) {
                q.pollFirst();
                size--;
            }
            inFlight[lane] = 0;
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    long dropped() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /** Stops accepting; wakes every waiter. */
    void close() {
        lock.lock();
        try {
            closed = true;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
