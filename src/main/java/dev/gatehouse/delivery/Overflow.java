package dev.gatehouse.delivery;

/** What the buffer does when it holds its maximum: wait (backpressure) or drop, counted and logged. */
public enum Overflow {
    /** The ring consumer waits, the ring fills, the shards wait: nothing is lost. */
    BLOCK,
    /** The oldest queued event is dropped to make room. */
    DROP_OLDEST,
    /** The arriving event is dropped. */
    DROP_NEWEST
}
