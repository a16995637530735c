package dev.gatehouse.pipeline;

import java.util.Arrays;

/**
 * A bounded map of primitive longs to longs (a message id to its content's hash) that keeps the most recently
 * touched {@code capacity} keys and evicts the least recently touched first: what an access-ordered
 * {@code LinkedHashMap<Long, Long>} does, in about 28 bytes an entry instead of about 100 (no boxes, no nodes).
 * Entries live in parallel arrays linked in touch order (oldest at the head); an open-addressing table of entry
 * numbers finds them (linear probing, removal shifts the following run back, no tombstones). The arrays grow by
 * use up to {@code capacity}; at capacity a new key takes the evicted head's entry. Not thread-safe.
 */
final class RecentHashes {
    private static final int NONE = -1;
    private static final int MIN_ENTRIES = 16;

    private final int capacity;
    private long[] keys;
    private long[] values;
    private int[] older;
    private int[] newer;
    /** Entry number + 1 per slot; 0 marks a free slot. */
    private int[] table;
    private int size;
    private int oldest = NONE;
    private int newest = NONE;

    RecentHashes(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        int entries = Math.min(capacity, MIN_ENTRIES);
        keys = new long[entries];
        values = new long[entries];
        older = new int[entries];
        newer = new int[entries];
        table = new int[tableFor(entries)];
    }

    int size() {
        return size;
    }

    /**
     * Maps {@code key} to {@code value} and makes it the most recently touched; evicts the least recently touched
     * key when a new one would pass the capacity.
     *
     * @return the key's value before, or {@code absent} when it was not kept
     */
    long put(long key, long value, long absent) {
        int slot = find(key);
        int e = table[slot] - 1;
        if (e >= 0) {
            long before = values[e];
            values[e] = value;
            touch(e);
            return before;
        }
        if (size == capacity) {
            e = oldest;
            removeFromTable(keys[e]);
            unlink(e);
            slot = find(key); // the removal may have shifted the run the new key goes into
        } else {
            if (size == keys.length) {
                grow();
                slot = find(key);
            }
            e = size++;
        }
        keys[e] = key;
        values[e] = value;
        table[slot] = e + 1;
        linkNewest(e);
        return absent;
    }

    /** The value of {@code key}, without touching it; {@code absent} when it is not kept. */
    long peek(long key, long absent) {
        int e = table[find(key)] - 1;
        return e >= 0 ? values[e] : absent;
    }

    private void touch(int e) {
        if (e != newest) {
            unlink(e);
            linkNewest(e);
        }
    }

    private void unlink(int e) {
        int o = older[e];
        int n = newer[e];
        if (o == NONE) {
            oldest = n;
        } else {
            newer[o] = n;
        }
        if (n == NONE) {
            newest = o;
        } else {
            older[n] = o;
        }
    }

    private void linkNewest(int e) {
        older[e] = newest;
        newer[e] = NONE;
        if (newest == NONE) {
            oldest = e;
        } else {
            newer[newest] = e;
        }
        newest = e;
    }

    /** The slot holding {@code key}, or the free slot where it would go. */
    private int find(long key) {
        int mask = table.length - 1;
        int i = home(key, mask);
        while (table[i] != 0 && keys[table[i] - 1] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void removeFromTable(long key) {
        int mask = table.length - 1;
        int gap = find(key);
        for (int j = (gap + 1) & mask; table[j] != 0; j = (j + 1) & mask) {
            int h = home(keys[table[j] - 1], mask);
            if (((j - h) & mask) >= ((j - gap) & mask)) { // its home is not in (gap, j]: it may move back to gap
                table[gap] = table[j];
                gap = j;
            }
        }
        table[gap] = 0;
    }

    private void grow() {
        int entries = (int) Math.min(capacity, (long) keys.length * 2);
        keys = Arrays.copyOf(keys, entries);
        values = Arrays.copyOf(values, entries);
        older = Arrays.copyOf(older, entries);
        newer = Arrays.copyOf(newer, entries);
        table = new int[tableFor(entries)];
        int mask = table.length - 1;
        for (int e = 0; e < size; e++) {
            int i = home(keys[e], mask);
            while (table[i] != 0) {
                i = (i + 1) & mask;
            }
            table[i] = e + 1;
        }
    }

    /** A power of two at least twice the entries: probes stay short at full capacity. */
    private static int tableFor(int entries) {
        return Integer.highestOneBit(Math.max(2, entries) * 2 - 1) << 1;
    }

    private static int home(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
