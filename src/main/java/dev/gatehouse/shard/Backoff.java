package dev.gatehouse.shard;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a shard waits before it reconnects ({@code gateway.reconnectBackoffMs},
 * {@code gateway.maxReconnectBackoffMs}): the first reconnect after a good connection waits a random time up to one
 * unit, each further one 2^n units (n up to 5) capped at {@code maxMs}, plus a random time up to one unit, so
 * shards that lost their connections together do not come back together. After a non-resumable invalid session
 * the shard waits 1 to 5 units (Discord asks for 1-5 s).
 *
 * @param unitMs the unit and the random spread, in milliseconds (1000 by default)
 * @param maxMs  the longest wait before the random spread, in milliseconds (30000 by default)
 */
public record Backoff(long unitMs, long maxMs) {
    /** The defaults of config.properties: 1 s, at most 30 s. */
    public static final Backoff DEFAULT = new Backoff(1_000, 30_000);

    public Backoff {
        if (unitMs < 1 || maxMs < unitMs) {
            throw new IllegalArgumentException("a reconnect backoff needs 1 <= unitMs <= maxMs, got " + unitMs + " and " + maxMs);
        }
    }

    /** The wait before the reconnect after {@code failures} failed connections in a row (1 for the first), in nanoseconds. */
    long nanos(int failures) {
        long unit = unitMs * 1_000_000L;
        long spread = ThreadLocalRandom.current().nextLong(unit);
        return failures <= 1 ? spread : Math.min(maxMs * 1_000_000L, (1L << Math.min(failures, 5)) * unit) + spread;
    }

    /** The wait before identifying anew after a non-resumable invalid session: 1 to 5 units, in nanoseconds. */
    long afterInvalidSessionNanos() {
        long unit = unitMs * 1_000_000L;
        return unit + ThreadLocalRandom.current().nextLong(4 * unit);
    }
}
