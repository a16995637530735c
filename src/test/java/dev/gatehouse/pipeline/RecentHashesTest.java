package dev.gatehouse.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** RecentHashes answers as an access-ordered, bounded LinkedHashMap does, on random puts over colliding keys. */
class RecentHashesTest {
    private static final long ABSENT = Long.MIN_VALUE;

    @Test
    void answersAsAnAccessOrderedLinkedHashMapOnRandomPuts() {
        for (int seed = 0; seed < 30; seed++) {
            Random r = new Random(seed);
            int capacity = seed < 5 ? seed + 1 : 1 + r.nextInt(300); // 1..5 first: eviction on every other put
            int range = capacity + 1 + r.nextInt(capacity * 3);
            Map<Long, Long> expected = new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
                    return size() > capacity;
                }
            };
            RecentHashes got = new RecentHashes(capacity);
            for (int op = 0; op < 20_000; op++) {
                long key = keyOf(r.nextInt(range), seed);
                long value = r.nextLong();
                Long before = expected.put(key, value);
                assertEquals(before == null ? ABSENT : before, got.put(key, value, ABSENT), "seed " + seed + " op " + op);
                assertEquals(expected.size(), got.size(), "seed " + seed + " op " + op);
            }
            for (int k = 0; k < range; k++) {
                long key = keyOf(k, seed);
                assertEquals(expected.getOrDefault(key, ABSENT), got.peek(key, ABSENT), "seed " + seed + " key " + key);
            }
        }
    }

    /** Snowflake-like keys for most seeds; 0 and negative keys and multiples of a power of two for others. */
    private static long keyOf(int k, int seed) {
        return switch (seed % 3) {
            case 0 -> (1_200_000_000_000_000_000L + k) << 1;
            case 1 -> (long) k << 32; // same low bits: the table's mixing has to spread them
            default -> k - 50L;
        };
    }

    @Test
    void theLeastRecentlyTouchedGoesFirst() {
        RecentHashes h = new RecentHashes(2);
        h.put(1, 10, ABSENT);
        h.put(2, 20, ABSENT);
        assertEquals(10, h.put(1, 11, ABSENT), "touching 1 makes 2 the eldest");
        assertEquals(ABSENT, h.put(3, 30, ABSENT));
        assertEquals(ABSENT, h.peek(2, ABSENT), "2 was evicted");
        assertEquals(11, h.peek(1, ABSENT));
        assertEquals(30, h.peek(3, ABSENT));
        assertThrows(IllegalArgumentException.class, () -> new RecentHashes(0));
    }
}
