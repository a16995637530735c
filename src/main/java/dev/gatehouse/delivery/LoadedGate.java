package dev.gatehouse.delivery;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps {@code GATEHOUSE_ALL_LOADED} behind every {@code GATEHOUSE_SHARD_LOADED} queued before it. The signals
 * travel on their shards' lanes, so without this the bot could see ALL_LOADED before another lane delivered a
 * shard's SHARD_LOADED. The lane holding ALL_LOADED waits until each SHARD_LOADED queued before it is finished
 * (taken by the bot, dead-lettered or dropped by the overflow policy). The SHARD_LOADED it waits for are on other
 * lanes, or ahead of it on its own, so the wait always ends once the bot takes them.
 */
final class LoadedGate {
    static final String SHARD_LOADED = "GATEHOUSE_SHARD_LOADED";
    static final String ALL_LOADED = "GATEHOUSE_ALL_LOADED";

    /** SHARD_LOADED signals queued for the bot. Ring consumer thread only. */
    private long queued;
    /** SHARD_LOADED signals the bot took (or that were dead-lettered or dropped). */
    private final AtomicLong finished = new AtomicLong();
    /** How many SHARD_LOADED must be finished before ALL_LOADED goes out: those queued before it. */
    private volatile long required;

    /** Ring consumer: an event is about to be queued. */
    void queuing(String type) {
        if (SHARD_LOADED.equals(type)) {
            queued++;
        } else if (ALL_LOADED.equals(type)) {
            required = queued;
        }
    }

    /** An event left the buffer for good. */
    void finished(Pending p) {
        if (SHARD_LOADED.equals(p.type())) {
            finished.incrementAndGet();
        }
    }

    /** The index of the first event of the batch that must wait, or the batch size when none must. */
    int firstWaiting(java.util.List<Pending> batch) {
        if (finished.get() >= required) {
            return batch.size();
        }
        for (int i = 0; i < batch.size(); i++) {
            if (ALL_LOADED.equals(batch.get(i).type())) {
                return i;
            }
        }
        return batch.size();
    }
}
