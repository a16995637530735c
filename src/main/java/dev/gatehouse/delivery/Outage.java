package dev.gatehouse.delivery;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bot not taking events, logged once per outage: one WARNING when the first POST is held, one INFO with
 * the counts (failed attempts, duration, last answer) when a POST gets through again. Shared by all lanes.
 */
final class Outage {
    private static final System.Logger LOG = System.getLogger(Outage.class.getName());

    private final String where;
    private final AtomicLong failures = new AtomicLong();
    private long since;
    private volatile boolean down;
    private long outages;
    private String last = "";

    Outage(String where) {
        this.where = where;
    }

    /** A POST was held; logs only the first of an outage. */
    synchronized void held(Answer a, long queued) {
        failures.incrementAndGet();
        last = a.describe();
        if (!down) {
            down = true;
            outages++;
            since = System.nanoTime();
            LOG.log(System.Logger.Level.WARNING, "delivery: bot at " + where + " not taking events (" + last + "); holding "
                    + queued + "+ events and retrying with backoff (logged once per outage)");
        }
    }

    /** A POST got through: ends the outage with one line of counts. */
    void delivered(long queued) {
        if (!down) {
            return; // the fast path: one volatile-free check per POST (a stale false only delays the line by a POST)
        }
        synchronized (this) {
            if (down) {
                down = false;
                LOG.log(System.Logger.Level.INFO, "delivery: bot answers again after " + (System.nanoTime() - since) / 1_000_000
                        + " ms and " + failures.getAndSet(0) + " held attempts (last: " + last + "); delivering "
                        + queued + "+ queued events in order");
            }
        }
    }

    /** Outages since start. */
    synchronized long count() {
        return outages;
    }

    /** True while the bot is not taking events. */
    synchronized boolean down() {
        return down;
    }
}
