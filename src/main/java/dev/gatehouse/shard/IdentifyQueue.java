package dev.gatehouse.shard;

import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Discord's identify rate limit: one identify per {@code max_concurrency} bucket ({@code shard_id %
 * max_concurrency}) per interval (5 s). Shards ask for a turn; a small scheduler thread grants turns in
 * request order per bucket, lowest bucket first. Before granting, it claims the turn in a {@link Ledger}
 * shared with other Gatehouse processes of the same bot, so their identifies keep the limit together.
 * Granting runs the shard's callback, which moves to the shard's cluster thread.
 */
public final class IdentifyQueue implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(IdentifyQueue.class.getName());

    /** Identify turns shared between processes (the database); claims happen on the scheduler thread. */
    public interface Ledger {
        /**
         * Takes the bucket's turn if no process took one within {@code intervalMs}; returns 0 when taken, else
         * the milliseconds until it can be.
         */
        long claim(int bucket, int maxConcurrency, long intervalMs) throws Exception;

        /**
         * Moves the bucket's last turn to now: the identify went out later than its claim, and Discord counts
         * from its arrival.
         */
        void sent(int bucket, int maxConcurrency) throws Exception;
    }

    /** A ledger for a process that shares its identify limit with no other. */
    public static final Ledger LOCAL = new Ledger() {
        @Override
        public long claim(int bucket, int maxConcurrency, long intervalMs) {
            return 0;
        }

        @Override
        public void sent(int bucket, int maxConcurrency) {
        }
    };

    /** How long to wait before asking a ledger that failed again. */
    private static final long LEDGER_RETRY_NANOS = 1_000_000_000L;
    private final int maxConcurrency;
    private final long intervalNanos;
    private final Ledger ledger;
    private boolean ledgerFailing;
    private final ArrayDeque<Runnable>[] waiting;
    private final long[] lastGrant;
    /** Buckets whose identify went out since the scheduler last told the ledger. */
    private final ArrayDeque<Integer> sent = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread scheduler;
    private volatile boolean open = true;

    /**
     * Added to the interval: Discord times identifies by their arrival, and two identifies granted exactly
     * 5 s apart can arrive 4.99 s apart when the first was sent later after its grant than the second.
     */
    static final long MARGIN_MS = 100;

    @SuppressWarnings("unchecked")
    public IdentifyQueue(int maxConcurrency, long intervalMs, Ledger ledger) {
        this.ledger = ledger;
        this.maxConcurrency = maxConcurrency;
        this.intervalNanos = (intervalMs > 0 ? intervalMs + MARGIN_MS : 0) * 1_000_000L;
        this.waiting = new ArrayDeque[maxConcurrency];
        this.lastGrant = new long[maxConcurrency];
        long now = System.nanoTime();
        for (int i = 0; i < maxConcurrency; i++) {
            waiting[i] = new ArrayDeque<>();
            lastGrant[i] = now - intervalNanos;
        }
        scheduler = Thread.ofPlatform().name("gatehouse-identify-queue").daemon(true).start(this::schedule);
    }

    /** The bucket of a shard. */
    public int bucketOf(int shardId) {
        return shardId % maxConcurrency;
    }

    /** Asks for an identify turn; {@code granted} runs (on the scheduler thread) when it is this shard's turn. */
    void request(int shardId, Runnable granted) {
        lock.lock();
        try {
            waiting[bucketOf(shardId)].add(granted);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Called right after a shard sent its identify: the bucket's interval counts from now, not from the grant
     * (a cold JVM or a busy machine can send the first identify of a run much later than it was granted).
     */
    void sent(int shardId) {
        lock.lock();
        try {
            int b = bucketOf(shardId);
            lastGrant[b] = Math.max(lastGrant[b], System.nanoTime());
            sent.add(b);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void schedule() {
        lock.lock();
        try {
            while (open) {
                while (!sent.isEmpty()) {
                    touch(sent.poll());
                }
                long now = System.nanoTime();
                long wait = Long.MAX_VALUE;
                for (int b = 0; b < maxConcurrency; b++) {
                    if (waiting[b].isEmpty()) {
                        continue;
                    }
                    long due = lastGrant[b] + intervalNanos;
                    if (due <= now) {
                        long later = claim(b);
                        if (later == 0) {
                            lastGrant[b] = now;
                            waiting[b].poll().run();
                            due = now + intervalNanos;
                        } else {
                            due = now + later;
                            lastGrant[b] = due - intervalNanos;
                        }
                    }
                    if (!waiting[b].isEmpty()) {
                        wait = Math.min(wait, due - now);
                    }
                }
                if (wait == Long.MAX_VALUE) {
                    changed.await();
                } else {
                    changed.awaitNanos(wait);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Claims bucket {@code b}'s turn in the ledger: 0 when taken, else nanoseconds to wait. Scheduler thread. */
    private long claim(int b) {
        if (intervalNanos == 0) {
            return 0;
        }
        try {
            long waitMs = ledger.claim(b, maxConcurrency, intervalNanos / 1_000_000L);
            if (ledgerFailing) {
                ledgerFailing = false;
                LOG.log(System.Logger.Level.INFO, "identify queue: shared identify turns are reachable again");
            }
            return waitMs <= 0 ? 0 : waitMs * 1_000_000L;
        } catch (Exception e) {
            if (!ledgerFailing) {
                ledgerFailing = true;
                LOG.log(System.Logger.Level.WARNING, "identify queue: cannot claim an identify turn shared with other"
                        + " processes (" + e.getMessage() + "); no shard identifies until it can, retrying");
            }
            return LEDGER_RETRY_NANOS;
        }
    }

    private void touch(int b) {
        if (intervalNanos == 0) {
            return;
        }
        try {
            ledger.sent(b, maxConcurrency);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "identify queue: cannot record an identify in the shared turns ("
                    + e.getMessage() + "); other processes may identify in bucket " + b + " early");
        }
    }

    @Override
    public void close() {
        open = false;
        scheduler.interrupt();
    }
}
