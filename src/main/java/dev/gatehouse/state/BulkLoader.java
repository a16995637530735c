package dev.gatehouse.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
        CopyBinary directRows = new CopyBinary(t, true);
        Set<Long> present = present(conn, t, rows);
        t0 = clock.since(t.name + " probe", t0);
        List<Change.Row> direct = new ArrayList<>();
        List<Change.Row> merged = new ArrayList<>();
        for (Change.Row r : rows) {
            Long k = firstKey(r);
            if (!r.gone && k != null && !present.contains(k) && directRows.encodable(r)) {
                direct.add(r);
            } else {
                merged.add(r);
            }
        }
        t0 = clock.since(t.name + " split", t0);
        int n = 0;
        if (!direct.isEmpty()) {
            n += copy(conn, t.copyDirect, directRows, direct);
            t0 = clock.since(t.name + " copy (new rows)", t0);
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

    /** The row's first key as a number, or null when it is not one (the merge then lets PostgreSQL judge it). */
    private static Long firstKey(Change.Row r) {
        try {
            return Long.parseLong(r.values[0]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The first-key values of {@code rows} that already have a row in {@code t}. */
    private static Set<Long> present(Connection conn, Table t, Collection<Change.Row> rows) throws SQLException {
        Set<Long> keys = new HashSet<>();
        for (Change.Row r : rows) {
            Long k = firstKey(r);
            if (k != null) {
                keys.add(k);
            }
        }
        Set<Long> present = new HashSet<>();
        try (Statement st = conn.createStatement()) {
            st.execute(PROBE_BY_INDEX);
        }
        try (PreparedStatement ps = conn.prepareStatement(t.present)) {
            ps.setArray(1, conn.createArrayOf("bigint", keys.toArray(Long[]::new)));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    present.add(rs.getLong(1));
                }
            }
        }
        try (Statement st = conn.createStatement()) {
            st.execute(PROBE_DONE);
        }
        return present;
    }
}
