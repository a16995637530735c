package dev.gatehouse.shard;

import dev.gatehouse.discord.GatewayBot;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

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

    /**
     * Discord's daily {@code session_start_limit}: how many identifies are left and when the count resets.
     * {@link #refresh} asks Discord again (GET /gateway/bot) once the reset time has passed.
     */
    public interface StartLimit {
        /** A fresh answer from Discord. */
        GatewayBot refresh() throws Exception;

        /** No daily limit (tests, or a gateway that has none). */
        StartLimit NONE = () -> new GatewayBot("", 1, Integer.MAX_VALUE, Integer.MAX_VALUE, 0, 1);
    }

    /** How long to wait before asking a ledger that failed again. */
    private static final long LEDGER_RETRY_NANOS = 1_000_000_000L;

    /**
     * Added to the interval, counted from when the identify was on the socket: Discord times identifies by
     * their arrival, and the way there is not equally fast for two identifies. Measured: with 64 shards
     * starting on a loaded 2-core machine, the simulator read one identify 180 ms after it was written and
     * the next of its bucket 16 ms after, so 100 ms was not enough. 250 ms costs 5% of the identify rate.
     */
    static final long MARGIN_MS = 250;

    private record Request(int bucket, Runnable granted) {
    }

    private final int maxConcurrency;
    private final long intervalNanos;
    private final Ledger ledger;
    private final StartLimit startLimit;
    /** Requests and sent identifies from the cluster threads: they never wait for the scheduler. */
    private final ConcurrentLinkedQueue<Request> incoming = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<long[]> sent = new ConcurrentLinkedQueue<>();
    private final Thread scheduler;
    private volatile boolean open = true;

    // scheduler thread only
    private final ArrayDeque<Runnable>[] waiting;
    private final long[] lastGrant;
    /** Per bucket, no claim before this time: the ledger said another process holds the turn, or failed. */
    private final long[] notBefore;
    private boolean ledgerFailing;
    private boolean touchFailing;
    private long startsLeft;
    private long resetAt;
    private boolean exhaustedLogged;
    private boolean askedSinceExhausted;

    /**
     * @param intervalMs the interval between two identifies of one bucket (Discord: 5000)
     * @param ledger     identify turns shared with other processes
     * @param atStart    Discord's {@code /gateway/bot} answer at start ({@code session_start_limit})
     * @param startLimit how to ask Discord again once that limit is used up
     */
    @SuppressWarnings("unchecked")
    public IdentifyQueue(int maxConcurrency, long intervalMs, Ledger ledger, GatewayBot atStart, StartLimit startLimit) {
        this.maxConcurrency = maxConcurrency;
        this.intervalNanos = (intervalMs > 0 ? intervalMs + MARGIN_MS : 0) * 1_000_000L;
        this.ledger = ledger;
        this.startLimit = startLimit;
        this.startsLeft = atStart.remaining();
        long now = System.nanoTime();
        this.resetAt = now + atStart.resetAfterMs() * 1_000_000L;
        this.waiting = new ArrayDeque[maxConcurrency];
        this.lastGrant = new long[maxConcurrency];
        this.notBefore = new long[maxConcurrency];
        for (int i = 0; i < maxConcurrency; i++) {
            notBefore[i] = now;
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
        incoming.add(new Request(bucketOf(shardId), granted));
        LockSupport.unpark(scheduler);
    }

    /**
     * Called once a shard's identify is on the socket: the bucket's interval counts from then, not from the
     * grant (a cold JVM or a busy machine can send the first identify of a run well after its grant).
     */
    void sent(int shardId) {
        sent.add(new long[] {bucketOf(shardId), System.nanoTime()});
        LockSupport.unpark(scheduler);
    }

    private void schedule() {
        while (open) {
            for (Request r; (r = incoming.poll()) != null; ) {
                waiting[r.bucket()].add(r.granted());
            }
            for (long[] s; (s = sent.poll()) != null; ) {
                int b = (int) s[0];
                lastGrant[b] = Math.max(lastGrant[b], s[1]);
                touch(b);
            }
            long now = System.nanoTime();
            long wait = Long.MAX_VALUE;
            for (int b = 0; b < maxConcurrency; b++) {
                if (waiting[b].isEmpty()) {
                    continue;
                }
                long due = Math.max(lastGrant[b] + intervalNanos, notBefore[b]);
                if (due - now <= 0) {
                    long later = startsLeft > 0 ? 0 : untilStartsReset(now);
                    if (later == 0) {
                        later = claim(b);
                    }
                    if (later == 0) {
                        startsLeft--;
                        lastGrant[b] = now;
                        waiting[b].poll().run();
                        due = now + intervalNanos;
                    } else {
                        due = now + later;
                        notBefore[b] = due;
                    }
                }
                if (!waiting[b].isEmpty()) {
                    wait = Math.min(wait, Math.max(0, due - now));
                }
            }
            if (wait == Long.MAX_VALUE) {
                LockSupport.park(this);
            } else if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            }
        }
    }

    /**
     * The daily identify budget ran out: nanoseconds until Discord resets it, or 0 once a fresh answer says
     * identifies are left. Scheduler thread.
     */
    private long untilStartsReset(long now) {
        if (!askedSinceExhausted) {
            // ask Discord before waiting: it counts every process of the bot, and a grant whose shard never sent
            // its identify did not use one up
            askedSinceExhausted = true;
            resetAt = now;
        }
        if (now - resetAt < 0) {
            if (!exhaustedLogged) {
                exhaustedLogged = true;
                int queued = 0;
                for (ArrayDeque<Runnable> w : waiting) {
                    queued += w.size();
                }
                LOG.log(System.Logger.Level.WARNING, "identify queue: Discord's session_start_limit is used up; " + queued
                        + " shards wait " + (resetAt - now) / 1_000_000_000L + " s for its reset");
            }
            return resetAt - now;
        }
        try {
            GatewayBot fresh = startLimit.refresh();
            startsLeft = fresh.remaining();
            resetAt = now + Math.max(1_000, fresh.resetAfterMs()) * 1_000_000L;
            if (startsLeft > 0) {
                exhaustedLogged = false;
                askedSinceExhausted = false;
                LOG.log(System.Logger.Level.INFO, "identify queue: Discord says " + startsLeft + " identifies are left today");
                return 0;
            }
            return resetAt - now;
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "identify queue: cannot ask Discord for session_start_limit (" + e.getMessage()
                    + "); asking again in 10 s");
            resetAt = now + 10_000_000_000L;
            return resetAt - now;
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
            touchFailing = false;
        } catch (Exception e) {
            if (!touchFailing) {
                touchFailing = true;
                LOG.log(System.Logger.Level.WARNING, "identify queue: cannot record an identify in the shared turns ("
                        + e.getMessage() + "); other processes may identify early until it can");
            }
        }
    }

    @Override
    public void close() {
        open = false;
        scheduler.interrupt();
    }
}
