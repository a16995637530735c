package dev.gatehouse.shard;

import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Discord's identify rate limit: one identify per {@code max_concurrency} bucket ({@code shard_id %
 * max_concurrency}) per interval (5 s). Shards ask for a turn; a small scheduler thread grants turns in
 * request order per bucket. Granting runs the shard's callback, which moves to the shard's cluster thread.
 */
public final class IdentifyQueue implements AutoCloseable {
    private final int maxConcurrency;
    private final long intervalNanos;
    private final ArrayDeque<Runnable>[] waiting;
    private final long[] lastGrant;
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
    public IdentifyQueue(int maxConcurrency, long intervalMs) {
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

    private void schedule() {
        lock.lock();
        try {
            while (open) {
                long now = System.nanoTime();
                long wait = Long.MAX_VALUE;
                for (int b = 0; b < maxConcurrency; b++) {
                    if (waiting[b].isEmpty()) {
                        continue;
                    }
                    long due = lastGrant[b] + intervalNanos;
                    if (due <= now) {
                        lastGrant[b] = now;
                        waiting[b].poll().run();
                        due = now + intervalNanos;
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

    @Override
    public void close() {
        open = false;
        scheduler.interrupt();
    }
}
