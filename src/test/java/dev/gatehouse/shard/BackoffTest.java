package dev.gatehouse.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The reconnect waits of gateway.reconnectBackoffMs / gateway.maxReconnectBackoffMs, computed (never waited for). */
class BackoffTest {
    private static final long MS = 1_000_000L;

    @Test
    void theDefaultsAreTheWaitsOfBeforeTheyWereKeys() {
        assertEquals(new Backoff(1_000, 30_000), Backoff.DEFAULT);
        for (int i = 0; i < 1_000; i++) {
            assertIn(Backoff.DEFAULT.nanos(1), 0, 1_000);
            assertIn(Backoff.DEFAULT.nanos(2), 4_000, 5_000);
            assertIn(Backoff.DEFAULT.nanos(4), 16_000, 17_000);
            assertIn(Backoff.DEFAULT.nanos(5), 30_000, 31_000);
            assertIn(Backoff.DEFAULT.nanos(40), 30_000, 31_000);
            assertIn(Backoff.DEFAULT.afterInvalidSessionNanos(), 1_000, 5_000);
        }
    }

    @Test
    void aShortUnitScalesEveryWaitAndTheMaximumCapsThem() {
        Backoff b = new Backoff(100, 2_000);
        for (int i = 0; i < 1_000; i++) {
            assertIn(b.nanos(1), 0, 100);
            assertIn(b.nanos(3), 800, 900);
            assertIn(b.nanos(5), 2_000, 2_100);
            assertIn(b.afterInvalidSessionNanos(), 100, 500);
        }
    }

    @Test
    void aUnitBelowOneOrAboveTheMaximumIsRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 10)).getMessage().contains("got 0 and 10"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Backoff(500, 100)).getMessage().contains("got 500 and 100"));
    }

    private static void assertIn(long nanos, long fromMs, long belowMs) {
        assertTrue(nanos >= fromMs * MS && nanos < belowMs * MS, nanos / MS + " ms not in [" + fromMs + ", " + belowMs + ") ms");
    }
}
