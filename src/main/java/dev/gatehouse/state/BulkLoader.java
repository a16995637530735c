package dev.gatehouse.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Writes a large batch of one table through COPY: the rows go in COPY's binary format ({@link CopyBinary}) into a
 * staging table emptied at each commit ({@link Table#stage}), then one statement merges the staging table into the table with the
 * same rules as the steady-state upsert ({@link Table#merge}). A burst of GUILD_CREATEs (hundreds of thousands of
 * members) is where this pays; small batches keep the one-statement {@code unnest} upsert, which costs less
 * than creating a staging table.
 */
final class BulkLoader {
    /**
     * Rows of one table in one flush from which COPY is used. Below it the unnest upsert costs less: a staging table
     * is created on each connection's first bulk load (about 100 ms while the catalog caches are cold), which
     * delayed small loads (a test reading a member right after 20 guilds arrived found it not stored yet).
     */
    static final int MIN_ROWS = 2000;

    private BulkLoader() {
    }

    /**
     * Memory for the merge's sorts and the change-log trigger's transition tables (the rows of a whole flush): at the
     * default 4 MB they spill to disk in every flush of members.
     */
    static final String WORK_MEM = "SET LOCAL work_mem = '64MB'";
    /**
     * A transaction that bulk-loads (a burst of GUILD_CREATEs, member chunks) does not wait for its WAL to reach the
     * disk: a PostgreSQL crash can lose its last fraction of a second of commits (never half of one: the database
     * stays consistent), which the gateway gets back by reloading (a guild's next GUILD_CREATE, a shard's re-identify).
     * The steady-state writer's small transactions keep the server's setting.
     */
    /**
     * The probe of which keys are stored looks each one up in the primary key's index. While a table fills its
     * statistics are those of an empty table, and the planner then scanned the whole table for each key (it expects a
     * key to match many rows, so a scan that stops at the first looks cheap; a new key matches none): 2.4 s of a load.
     */
    static final String PROBE_BY_INDEX = "SET LOCAL enable_seqscan = off";
    static final String PROBE_DONE = "SET LOCAL enable_seqscan = on";
    static final String NO_SYNC_COMMIT = "SET LOCAL synchronous_commit = off";

    /**
     * Writes {@code rows} of {@code t} on {@code conn}, inside the caller's transaction, as the upsert would: rows whose
     * first key has no row in the table yet (a guild's members, presences, ... on its first load; users never seen)
     * and that are not soft-deletes go straight in by COPY, since for them the upsert is a plain insert; the others are
     * staged and merged (or upserted through {@code unnest} when they are few). Another writer inserting the same
     * keys meanwhile makes the COPY fail with a unique violation, an error about the data: the writer then writes the
     * flush event by event, and this finds those rows present.
     */
    static int load(Connection conn, Table t, Collection<Change.Row> rows, StatementClock clock) throws SQLException {
        long t0 = System.nanoTime();
        try (Statement st = conn.createStatement()) {
            st.execute(NO_SYNC_COMMIT);
        }
        Keys keys = Keys.of(rows);
        long[] present = present(conn, t, keys);
        t0 = clock.since(t.name + " probe", t0);
        List<Change.Row> merged = new ArrayList<>();
        int n = 0;
        CopyIn in = null;
        CopyBinary direct = null;
        try {
            int i = 0;
            for (Change.Row r : rows) {
                int at = i++; // this row's key, whatever the tests below short-cut
                if (r.gone || !keys.numeric[at] || Arrays.binarySearch(present, keys.first[at]) >= 0) {
                    merged.add(r);
                    continue;
                }
                if (in == null) {
                    in = conn.unwrap(PGConnection.class).getCopyAPI().copyIn(t.copyDirect);
                    direct = new CopyBinary(t, true);
                    direct.start();
                }
                if (direct.add(in, r)) {
                    n++;
                } else {
                    merged.add(r); // a value without an exact binary form: PostgreSQL reads it in the merge
                }
            }
            if (in != null) {
                direct.end(in);
                t0 = clock.since(t.name + " copy (new rows)", t0);
            }
        } finally {
            if (in != null && in.isActive()) {
                in.cancelCopy();
            }
        }
        if (merged.isEmpty()) {
            return n;
        }
        if (merged.size() < MIN_ROWS) {
            n += StateWriter.unnestUpsert(conn, t, merged);
            clock.since(t.name + " upsert (stored keys)", t0);
            return n;
        }
        try (Statement st = conn.createStatement()) {
            st.execute(WORK_MEM);
            st.execute(t.stage);
        }
        copy(conn, t.copy, new CopyBinary(t, false), merged);
        t0 = clock.since(t.name + " staging copy", t0);
        try (Statement st = conn.createStatement()) {
            return n + st.executeUpdate(t.merge);
        } finally {
            clock.since(t.name + " merge", t0);
        }
    }

    /** Each row's first key as a number, read once (no boxing): whether it is one, and its value. */
    private record Keys(long[] first, boolean[] numeric) {
        static Keys of(Collection<Change.Row> rows) {
            long[] first = new long[rows.size()];
            boolean[] numeric = new boolean[rows.size()];
            int i = 0;
            for (Change.Row r : rows) {
                try {
                    first[i] = Long.parseLong(r.values[0]);
                    numeric[i] = true;
                } catch (NumberFormatException e) {
                    numeric[i] = false; // the merge lets PostgreSQL judge it
                }
                i++;
            }
            return new Keys(first, numeric);
        }

        /** The distinct numeric keys, sorted. */
        long[] distinct() {
            long[] k = new long[first.length];
            int n = 0;
            for (int i = 0; i < first.length; i++) {
                if (numeric[i]) {
                    k[n++] = first[i];
                }
            }
            Arrays.sort(k, 0, n);
            int u = 0;
            for (int i = 0; i < n; i++) {
                if (u == 0 || k[i] != k[u - 1]) {
                    k[u++] = k[i];
                }
            }
            return Arrays.copyOf(k, u);
        }
    }

    private static int copy(Connection conn, String sql, CopyBinary encoder, List<Change.Row> rows) throws SQLException {
        CopyIn in = conn.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        try {
            encoder.write(in, rows);
            return rows.size();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    /** The first-key values of {@code keys} that already have a row in {@code t}, sorted. */
    private static long[] present(Connection conn, Table t, Keys keys) throws SQLException {
        long[] distinct = keys.distinct();
        long[] present = new long[distinct.length];
        int n = 0;
        try (Statement st = conn.createStatement()) {
            st.execute(PROBE_BY_INDEX);
        }
        try (PreparedStatement ps = conn.prepareStatement(t.present)) {
            ps.setArray(1, conn.unwrap(PGConnection.class).createArrayOf("bigint", distinct));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    present[n++] = rs.getLong(1);
                }
            }
        }
        try (Statement st = conn.createStatement()) {
            st.execute(PROBE_DONE);
        }
        long[] out = Arrays.copyOf(present, n);
        Arrays.sort(out);
        return out;
    }
}
