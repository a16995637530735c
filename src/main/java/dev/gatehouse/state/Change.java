package dev.gatehouse.state;

import java.util.ArrayList;
import java.util.List;

/**
 * What one dispatch changes in the state: rows to upsert (or soft-delete), message revisions to append,
 * and sweeps (rows of a guild or shard not refreshed by a full snapshot are marked gone).
 */
final class Change {

    /** One row of a {@link Table}: values in column order, as text; no data means partial. */
    static final class Row {
        final Table table;
        final String[] values;
        boolean gone;

        Row(Table table, String... values) {
            if (values.length != table.width()) {
                throw new IllegalArgumentException(table + " takes " + table.width() + " values, got " + values.length);
            }
            this.table = table;
            this.values = values;
        }

        /**
         * What identifies the row within its table in one flush: the key's text, or both texts of a two-column key
         * (compared as a pair; concatenating them cost a string per member and presence of a burst).
         */
        Object key() {
            return table.keyCount == 1 ? values[0] : new KeyPair(values[0], values[1]);
        }

        boolean partial() {
            return values[values.length - 1] == null;
        }

        /**
         * Folds a later row of the same key into this one: full rows replace (a merging table's objects are joined,
         * the later fields winning as jsonb's duplicate keys do), partial rows touch only their columns.
         */
        void absorb(Row later) {
            if (!later.partial()) {
                String earlier = values[values.length - 1];
                String[] before = values.clone();
                System.arraycopy(later.values, 0, values, 0, values.length);
                if (table.mergesData() && earlier != null) {
                    values[values.length - 1] = joinObjects(earlier, later.values[values.length - 1]);
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
