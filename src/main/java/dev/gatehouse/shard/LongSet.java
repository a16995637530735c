package dev.gatehouse.shard;

import java.util.Arrays;

/**
 * A set of primitive longs (a shard's guild ids): open addressing with linear probing in one {@code long[]},
 * no boxing, no node per element (8-16 bytes a guild instead of about 50 in a {@code HashSet<Long>}). The table
 * is sized by use: it doubles past 3/4 full and halves under 1/8 full, so a set that was large (a READY's
 * loading guilds) gives its table back as it empties. Removal shifts the following run back (no tombstones).
 * The value 0 cannot be a table slot's content (it marks a free slot), so it is kept apart in a flag.
 * Not thread-safe.
 */
final class LongSet {
    private static final int MIN_CAPACITY = 8;
    private static final long FREE = 0L;
    private long[] table = new long[MIN_CAPACITY];
    /** Elements in {@link #table} (the zero element not counted). */
    private int inTable;
    private boolean hasZero;

    /** Adds {@code v}; true when it was not in the set. */
    boolean add(long v) {
        if (v == FREE) {
            boolean added = !hasZero;
            hasZero = true;
            return added;
        }
        int i = find(v);
        if (table[i] == v) {
            return false;
        }
        table[i] = v;
        if (++inTable > maxFill(table.length)) {
            resize(table.length << 1);
        }
        return true;
    }

    /** Removes {@code v}; true when it was in the set. */
    boolean remove(long v) {
        if (v == FREE) {
            boolean removed = hasZero;
            hasZero = false;
            return removed;
        }
        int i = find(v);
        if (table[i] != v) {
            return false;
        }
        int mask = table.length - 1;
        // Shift back the entries of the run after i that may sit at i (their home slot is not in (i, j]).
        int gap = i;
        for (int j = (gap + 1) & mask; table[j] != FREE; j = (j + 1) & mask) {
            int home = slot(table[j], mask);
            if (((j - home) & mask) >= ((j - gap) & mask)) {
                table[gap] = table[j];
                gap = j;
            }
        }
        table[gap] = FREE;
        if (--inTable < table.length >>> 3 && table.length > MIN_CAPACITY) {
            resize(table.length >>> 1);
        }
        return true;
    }

    boolean contains(long v) {
        if (v == FREE) {
            return hasZero;
        }
        return table[find(v)] == v;
    }

    /** The slot of {@code v} (not zero) in the table, or the free slot where it would go. */
    private int find(long v) {
        int mask = table.length - 1;
        int i = slot(v, mask);
        while (table[i] != v && table[i] != FREE) {
            i = (i + 1) & mask;
        }
        return i;
    }

    int size() {
        return inTable + (hasZero ? 1 : 0);
    }

    boolean isEmpty() {
        return size() == 0;
    }

    /** Empties the set and gives its table back. */
    void clear() {
        table = new long[MIN_CAPACITY];
        inTable = 0;
        hasZero = false;
    }

    /** Replaces the contents with {@code values}, the table sized for them at once. */
    void setAll(long[] values) {
        inTable = 0;
        hasZero = false;
        int capacity = MIN_CAPACITY;
        while (maxFill(capacity) < values.length) {
            capacity <<= 1;
        }
        table = new long[capacity];
        for (long v : values) {
            add(v);
        }
    }

    /** The table's length (for tests: the set is sized by use). */
    int capacity() {
        return table.length;
    }

    private static int maxFill(int capacity) {
        return capacity - (capacity >>> 2);
    }

    private void resize(int capacity) {
        long[] old = table;
        table = new long[capacity];
        for (long e : old) {
            if (e != FREE) {
                table[find(e)] = e;
            }
        }
    }

    /** Snowflakes' low bits are a counter and process id: mix all 64 bits before masking. */
    private static int slot(long v, int mask) {
        long h = v * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    @Override
    public String toString() {
        long[] out = new long[size()];
        int n = 0;
        if (hasZero) {
            out[n++] = 0;
        }
        for (long e : table) {
            if (e != FREE) {
                out[n++] = e;
            }
        }
        Arrays.sort(out);
        return Arrays.toString(out);
    }
}
