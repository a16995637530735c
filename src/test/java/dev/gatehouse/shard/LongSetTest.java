package dev.gatehouse.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The primitive set of a shard's guild ids, against {@code java.util.HashSet} on the same random operations. */
class LongSetTest {

    @Test
    void randomOperationsAnswerAsAHashSetDoes() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            LongSet set = new LongSet();
            Set<Long> expected = new HashSet<>();
            // A small value range makes removes and re-adds hit, long runs and wrap-arounds in the table.
            int range = 1 + r.nextInt(seed % 2 == 0 ? 64 : 5000);
            for (int op = 0; op < 20_000; op++) {
                long v = value(r, range);
                switch (r.nextInt(3)) {
                    case 0 -> assertEquals(expected.add(v), set.add(v), "add " + v + " (seed " + seed + ", op " + op + ")");
                    case 1 -> assertEquals(expected.remove(v), set.remove(v), "remove " + v + " (seed " + seed + ", op " + op + ")");
                    default -> assertEquals(expected.contains(v), set.contains(v), "contains " + v + " (seed " + seed + ", op " + op + ")");
                }
                assertEquals(expected.size(), set.size(), "size (seed " + seed + ", op " + op + ")");
            }
            assertEquals(new TreeSet<>(expected).toString(), set.toString(), "contents (seed " + seed + ")");
            for (long v = -1; v <= range; v++) { // every value of the range, and zero and a negative one
                assertEquals(expected.contains(v), set.contains(v), "contains " + v + " at the end (seed " + seed + ")");
            }
        }
    }

    /** Snowflake-like values, or zero and negatives (zero is the table's free mark, kept apart). */
    private static long value(SplittableRandom r, int range) {
        int k = r.nextInt(range);
        return switch (k % 7) {
            case 0 -> 0L;
            case 1 -> -k;
            default -> 1_100_000_000_000_000_000L + ((long) k << 22); // same low bits, as snowflakes of one worker
        };
    }

    @Test
    void growsWithItsElementsAndShrinksAsTheyLeave() {
        LongSet set = new LongSet();
        int min = set.capacity();
        Random r = new Random(7);
        long[] ids = r.longs(2500, 1, Long.MAX_VALUE).distinct().toArray();
        for (long id : ids) {
            assertTrue(set.add(id));
        }
        assertEquals(ids.length, set.size());
        assertEquals(4096, set.capacity(), "2500 ids fit a table of 4096 (at most 3/4 full)");
        for (long id : ids) {
            assertFalse(set.add(id));
            assertTrue(set.contains(id));
        }
        for (int i = 0; i < ids.length - 10; i++) {
            assertTrue(set.remove(ids[i]));
            assertFalse(set.contains(ids[i]));
        }
        assertEquals(10, set.size());
        assertTrue(set.capacity() <= 128, "the table shrank with the set: " + set.capacity());
        for (int i = ids.length - 10; i < ids.length; i++) {
            assertTrue(set.contains(ids[i]), "a remaining id after the shrinks");
        }
        for (int i = ids.length - 10; i < ids.length; i++) {
            assertTrue(set.remove(ids[i]));
        }
        assertTrue(set.isEmpty());
        assertEquals(min, set.capacity());
    }

    @Test
    void setAllSizesTheTableOnceAndClearGivesItBack() {
        LongSet set = new LongSet();
        set.add(5);
        long[] ids = new long[2500];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1_000_000L + i * 4_194_304L;
        }
        set.setAll(ids);
        assertEquals(2500, set.size());
        assertFalse(set.contains(5), "setAll replaces what was there");
        assertEquals(4096, set.capacity());
        set.setAll(new long[] {3, 3, 0});
        assertEquals(2, set.size(), "duplicates count once, zero is an element");
        assertTrue(set.contains(0) && set.contains(3));
        set.clear();
        assertTrue(set.isEmpty());
        assertFalse(set.contains(0));
        assertEquals(8, set.capacity());
    }
}
