package dev.gatehouse.state;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one dispatch changes in the state: rows to upsert (or soft-delete), message revisions to append,
 * and sweeps (rows of a guild or shard not refreshed by a full snapshot are marked gone).
 */
final class Change {

    /**
     * One row of a {@link Table}: values in column order, as text, except a {@code data} column's JSON, which is kept as
     * its UTF-8 bytes ({@link #data}; its place in {@link #values} stays null): the payload's bytes of the object, which
     * COPY sends as they are. No data means partial.
     */
    static final class Row {
        final Table table;
        final String[] values;
        /** The jsonb {@code data} column's UTF-8 bytes, or null (partial); always null for a table without one. */
        byte[] data;
        boolean gone;
        /** A flush's copy that later rows of its key were folded into, never a change's own row. */
        private boolean folded;

        /** A row of {@code values} in column order, a {@code data} column's as text (tests, rows without an object). */
        Row(Table table, String... values) {
            if (values.length != table.width()) {
                throw new IllegalArgumentException(table + " takes " + table.width() + " values, got " + values.length);
            }
            this.table = table;
            this.values = values;
            int d = dataColumn(table);
            if (d >= 0 && values[d] != null) {
                data = values[d].getBytes(StandardCharsets.UTF_8);
                values[d] = null;
            }
        }

        /** A row of a table with a {@code data} column: its UTF-8 {@code data} and the other columns' values in order. */
        Row(Table table, byte[] data, String... values) {
            if (dataColumn(table) < 0 || values.length != table.width() - 1) {
                throw new IllegalArgumentException(table + " takes " + (table.width() - 1) + " values and data, got "
                        + values.length + (dataColumn(table) < 0 ? " (it has no data column)" : ""));
            }
            this.table = table;
            this.values = Arrays.copyOf(values, table.width());
            this.data = data;
        }

        private Row(Row of) {
            this.table = of.table;
            this.values = of.values.clone();
            this.data = of.data; // absorb replaces it, never writes into it
            this.gone = of.gone;
            this.folded = true;
        }

        /** A copy to fold later rows into, leaving this one as it was read. */
        Row copy() {
            return new Row(this);
        }

        boolean folded() {
            return folded;
        }

        /** Where {@code table}'s jsonb {@code data} column is (its last), or -1 when it has none. */
        static int dataColumn(Table table) {
            List<Table.Column> c = table.columns;
            return "jsonb".equals(c.get(c.size() - 1).type()) ? c.size() - 1 : -1;
        }

        /**
         * What identifies the row within its table in one flush: the key's text, or both texts of a two-column key
         * (compared as a pair; concatenating them cost a string per member and presence of a burst).
         */
        Object key() {
            return table.keyCount == 1 ? values[0] : new KeyPair(values[0], values[1]);
        }

        boolean partial() {
            return dataColumn(table) >= 0 ? data == null : values[values.length - 1] == null;
        }

        /**
         * Folds a later row of the same key into this one: full rows replace (a merging table's objects are joined,
         * the later fields winning as jsonb's duplicate keys do), partial rows touch only their columns.
         */
        void absorb(Row later) {
            if (!later.partial()) {
                byte[] earlier = data;
                String[] before = values.clone();
                System.arraycopy(later.values, 0, values, 0, values.length);
                data = later.data;
                if (table.mergesData() && earlier != null && later.data != null) {
                    data = joinObjects(new String(earlier, StandardCharsets.UTF_8), new String(later.data, StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8);
                }
                if (table == Table.MEMBERS && "add".equals(before[Table.MEMBER_LEARNED_BY])
                        && "event".equals(values[Table.MEMBER_LEARNED_BY])) {
                    values[Table.MEMBER_LEARNED_BY] = "add"; // an update right after the join: still a join
                }
                for (int i = table.keyCount; i < values.length - 1; i++) {
                    if (values[i] == null && before[i] != null && table.columns.get(i).mode() != Table.Mode.FULL) {
                        values[i] = before[i];
                    }
                }
            } else {
                for (int i = table.keyCount; i < values.length; i++) {
                    if (later.values[i] != null) {
                        values[i] = later.values[i];
                    }
                }
            }
            gone = later.gone;
        }

        /** Two JSON objects as one; PostgreSQL's jsonb keeps the last of duplicate keys, so the later fields win. */
        private static String joinObjects(String a, String b) {
            String headA = a.substring(0, a.lastIndexOf('}')).strip();
            String tailB = b.substring(b.indexOf('{') + 1).strip();
            if (headA.equals("{")) {
                return b;
            }
            return tailB.equals("}") ? a : headA + "," + tailB;
        }
    }

    /** A two-column key of a row. */
    record KeyPair(String first, String second) {
    }

    /** A sweep of one guild, shard or thread. */
    record SweepOf(Sweep kind, long id) {
    }

    private final int shard;
    private final long seq;
    private final String type;
    private final int length;
    /** The application id of the bot whose dispatch this is, as text. */
    final String application;
    final List<Row> rows = new ArrayList<>();
    final List<String[]> revisions = new ArrayList<>();
    final List<SweepOf> sweeps = new ArrayList<>();

    /** The change of dispatch {@code seq} of {@code shard}, {@code length} bytes of {@code type}. */
    Change(int shard, long seq, String type, int length, String application) {
        this.shard = shard;
        this.seq = seq;
        this.type = type;
        this.length = length;
        this.application = application;
    }

    /** The dispatch it was read from, for messages (built only then: once per event it was 1% of the firehose's CPU). */
    String source() {
        return "shard " + shard + " seq " + seq + " " + type + " (" + length + " bytes)";
    }

    Row add(Table t, String... values) {
        Row r = new Row(t, values);
        rows.add(r);
        return r;
    }

    /** A full row of a table with a {@code data} column: {@code data} as UTF-8, then the other columns' values. */
    Row add(Table t, byte[] data, String... values) {
        Row r = new Row(t, data, values);
        rows.add(r);
        return r;
    }

    void gone(Table t, String... values) {
        add(t, values).gone = true;
    }

    void sweep(Sweep kind, String id) {
        sweeps.add(new SweepOf(kind, Long.parseLong(id)));
    }

    int size() {
        return rows.size() + revisions.size() + sweeps.size();
    }
}
