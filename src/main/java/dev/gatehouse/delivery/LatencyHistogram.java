package dev.gatehouse.delivery;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Delivery latency, from a frame's arrival at the shard to the bot's 2xx, in log-linear buckets (4 per
 * power of two of microseconds, so quantiles are within ~19%). Lock-free; read by the status line and the
 * benchmark.
 */
public final class LatencyHistogram {
    private static final int SUB = 4;
    private static final int BUCKETS = 64 * SUB;
    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    void record(long nanos) {
        long micros = Math.max(1, nanos / 1000);
        int pow = 63 - Long.numberOfLeadingZeros(micros);
        int sub = pow < 2 ? 0 : (int) ((micros >>> (pow - 2)) & (SUB - 1));
        counts.incrementAndGet(Math.min(BUCKETS - 1, pow * SUB + sub));
    }

    /** The latency below which the fraction {@code q} of recorded deliveries fall, in microseconds; 0 when empty. */
    public long quantileMicros(double q) {
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            total += counts.get(i);
        }
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                int pow = i / SUB;
                int sub = i % SUB;
                return pow < 2 ? 1L << pow : (1L << pow) + ((long) (sub + 1) << (pow - 2));
            }
        }
        return 0;
    }

    /** Forgets everything recorded so far (the benchmark skips its warm-up). */
    public void reset() {
        for (int i = 0; i < BUCKETS; i++) {
            counts.set(i, 0);
        }
    }
}
