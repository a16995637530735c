package dev.gatehouse.state;

import com.lmax.disruptor.EventHandler;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.Handled;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * The batching PostgreSQL writer, a ring consumer. Each dispatch the state keeps becomes a {@link Change};
 * at the end of every Disruptor batch (or every {@code maxEvents}) the changes are folded per table (one row
 * per key, last write wins) and written in one transaction: one bulk upsert per table, then the sweeps.
 *
 * <p>A database outage blocks this consumer and retries with backoff until the database is back: the ring
 * fills, producers wait, nothing is lost. A batch the database refuses for its content is written again one
 * event at a time so that only the events it refuses (logged with shard, seq and the database's reason)
 * are left out.
 */
public final class StateWriter implements EventHandler<Dispatch> {
    private static final System.Logger LOG = System.getLogger(StateWriter.class.getName());

    static final String APPEND_REVISIONS = """
            INSERT INTO message_revisions (message_id, shard_id, seq, content, edited_at, data)
            SELECT u.m::bigint, u.s::integer, u.q::bigint, u.c, u.e::timestamptz, u.d::jsonb
            FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) AS u(m, s, q, c, e, d)""";
    private final DataSource db;
    private final int maxEvents;
    /**
     * Rows one transaction holds at most: a burst of GUILD_CREATEs (hundreds of rows each) otherwise makes
     * transactions of tens of thousands of rows, and state and delivery advance in long jumps.
     */
    static final int MAX_ROWS = 10_000;

    private final Handled handled;
    private final List<Change> pending = new ArrayList<>();
    /** Per shard, the last dispatch taken: saved with the rows so a restart resumes right after it. */
    private final Map<Integer, SessionStore.Progress> progress = new HashMap<>();
    private final LongAdder replaysSkipped = new LongAdder();
    /**
     * Progress alone (a batch of events this writer does not store) is saved at most this often: a commit per
     * batch of interactions or typing would hold back their delivery. A restart then replays a little more.
     */
    static final long PROGRESS_EVERY_NANOS = 1_000_000_000L;
    private long progressSavedAt = System.nanoTime();
    private final java.util.concurrent.CountDownLatch shutDown = new java.util.concurrent.CountDownLatch(1);
    private int pendingRows;
    private final LongAdder rowsWritten = new LongAdder();
    private final LongAdder eventsStored = new LongAdder();
    private final LongAdder eventsRejected = new LongAdder();
    private final LongAdder flushes = new LongAdder();
    private volatile boolean stopping;

    /**
     * @param handled what this writer had stored when the previous process stopped: replays of it are skipped
     */
    public StateWriter(DataSource db, int maxEvents, Handled handled) {
        this.db = db;
        this.maxEvents = maxEvents;
        this.handled = handled;
    }

    @Override
    public void onEvent(Dispatch d, long sequence, boolean endOfBatch) {
        if (handled.covers(d)) {
            replaysSkipped.increment();
        } else {
            take(d);
        }
        if (endOfBatch || pending.size() >= maxEvents || pendingRows >= MAX_ROWS) {
            if (!pending.isEmpty() || (!progress.isEmpty() && System.nanoTime() - progressSavedAt >= PROGRESS_EVERY_NANOS)) {
                flush();
            }
        }
    }

    /** The ring stopped: the progress not saved yet (events this writer does not store) is saved now. */
    @Override
    public void onShutdown() {
        try {
            if (!pending.isEmpty() || !progress.isEmpty()) {
                flush();
            }
        } finally {
            shutDown.countDown();
        }
    }

    /** Waits (at most {@code timeoutMs}) for {@link #onShutdown} to have saved the last progress. */
    public void awaitShutdown(long timeoutMs) throws InterruptedException {
        shutDown.await(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void take(Dispatch d) {
        if (d.session() != null) {
            progress.put(d.shardId(), new SessionStore.Progress(d.shardId(), d.session(), d.seq()));
        }
        if (ChangeReader.stores(d.type())) {
            try {
                Change c = ChangeReader.read(d);
                if (c != null) {
                    pending.add(c);
                    pendingRows += c.size();
                }
            } catch (IOException | RuntimeException e) {
                eventsRejected.increment();
                LOG.log(System.Logger.Level.WARNING, "state: cannot store " + d + ": " + e.getMessage()
                        + "; the event is still delivered");
            }
        }
    }

    /** Dispatches replayed after a restart that this writer had already stored. */
    public long replaysSkipped() {
        return replaysSkipped.sum();
    }

    /** Rows upserted or swept so far. */
    public long rowsWritten() {
        return rowsWritten.sum();
    }

    /** Dispatches whose change is in the database. */
    public long eventsStored() {
        return eventsStored.sum();
    }

    /** Dispatches the state could not store (malformed, or refused by the database). */
    public long eventsRejected() {
        return eventsRejected.sum();
    }

    /** Transactions committed. */
    public long flushes() {
        return flushes.sum();
    }

    /** Lets a flush that is waiting for the database give up at shutdown. */
    public void stop() {
        stopping = true;
    }

    private void flush() {
        long backoff = 500;
        boolean reported = false;
        while (true) {
            try {
                write(pending, true);
                if (reported) {
                    LOG.log(System.Logger.Level.INFO, "state: database is back; stored the " + pending.size() + " waiting events");
                }
                clearPending();
                return;
            } catch (SQLException e) {
                if (!transient_(e)) {
                    writeOneByOne(e);
                    clearPending();
                    return;
                }
                if (stopping) {
                    eventsRejected.add(pending.size());
                    LOG.log(System.Logger.Level.ERROR, "state: database unavailable at shutdown; " + pending.size()
                            + " events not stored (" + e.getMessage() + ")");
                    clearPending();
                    return;
                }
                if (!reported) {
                    reported = true;
                    LOG.log(System.Logger.Level.WARNING, "state: database unavailable (" + e.getMessage()
                            + "); holding " + pending.size() + " events and retrying; the gateway waits meanwhile");
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff = Math.min(10_000, backoff * 2);
            }
        }
    }

    private void clearPending() {
        progressSavedAt = System.nanoTime();
        pending.clear();
        pendingRows = 0;
        progress.clear();
    }

    private void writeOneByOne(SQLException batchError) {
        LOG.log(System.Logger.Level.WARNING, "state: the database refused a batch of " + pending.size() + " events ("
                + batchError.getMessage() + "); writing them one by one");
        for (Change c : pending) {
            try {
                write(List.of(c), false);
            } catch (SQLException e) {
                eventsRejected.increment();
                LOG.log(System.Logger.Level.ERROR, "state: the database refused " + c.source + ": " + e.getMessage());
            }
        }
        try {
            write(List.of(), true);
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.ERROR, "state: cannot save session progress: " + e.getMessage());
        }
    }

    /** Connection-level failures (SQLSTATE classes 08, 53, 57) are worth waiting for; others are about the data. */
    private static boolean transient_(SQLException e) {
        String s = e.getSQLState();
        return s == null || s.startsWith("08") || s.startsWith("53") || s.startsWith("57");
    }

    /** One transaction: the changes' rows and, with {@code withProgress}, each shard's session progress. */
    private void write(List<Change> changes, boolean withProgress) throws SQLException {
        Map<Table, LinkedHashMap<String, Change.Row>> rows = new LinkedHashMap<>();
        for (Table t : Table.ALL) {
            rows.put(t, new LinkedHashMap<>());
        }
        List<String[]> revisions = new ArrayList<>();
        Map<Sweep, List<Long>> sweeps = new java.util.EnumMap<>(Sweep.class);
        for (Change c : changes) {
            for (Change.Row r : c.rows) {
                Change.Row prev = rows.get(r.table).putIfAbsent(r.key(), r);
                if (prev != null) {
                    prev.absorb(r);
                }
            }
            revisions.addAll(c.revisions);
            for (Change.SweepOf s : c.sweeps) {
                sweeps.computeIfAbsent(s.kind(), k -> new ArrayList<>()).add(s.id());
            }
        }
        long written = 0;
        try (Connection conn = db.getConnection()) {
            conn.setAutoCommit(false);
            try {
                for (Map.Entry<Table, LinkedHashMap<String, Change.Row>> e : rows.entrySet()) {
                    written += upsert(conn, e.getKey(), e.getValue().values());
                }
                written += appendRevisions(conn, revisions);
                for (Map.Entry<Sweep, List<Long>> s : sweeps.entrySet()) {
                    written += s.getKey().run(conn, s.getValue());
                }
                if (withProgress) {
                    SessionStore.saveStored(conn, progress.values());
                }
                conn.commit();
            } catch (SQLException | RuntimeException e) {
                try {
                    conn.rollback();
                } catch (SQLException ignored) {
                    // the connection is broken; the pool discards it
                }
                throw e;
            }
        }
        rowsWritten.add(written);
        eventsStored.add(changes.size());
        flushes.increment();
    }

    private static int upsert(Connection conn, Table t, java.util.Collection<Change.Row> rows) throws SQLException {
        if (rows.isEmpty()) {
            return 0;
        }
        if (rows.size() >= BulkLoader.MIN_ROWS) {
            return BulkLoader.load(conn, t, rows);
        }
        int width = t.width();
        String[][] columns = new String[width][rows.size()];
        Boolean[] gone = new Boolean[rows.size()];
        int i = 0;
        for (Change.Row r : rows) {
            for (int c = 0; c < width; c++) {
                columns[c][i] = r.values[c];
            }
            gone[i++] = r.gone;
        }
        try (PreparedStatement ps = conn.prepareStatement(t.upsert)) {
            for (int c = 0; c < width; c++) {
                ps.setArray(c + 1, conn.createArrayOf("text", columns[c]));
            }
            if (t.goneColumn != null) {
                ps.setArray(width + 1, conn.createArrayOf("boolean", gone));
            }
            return ps.executeUpdate();
        }
    }

    private static int appendRevisions(Connection conn, List<String[]> revisions) throws SQLException {
        if (revisions.isEmpty()) {
            return 0;
        }
        String[][] columns = new String[6][revisions.size()];
        for (int i = 0; i < revisions.size(); i++) {
            for (int c = 0; c < 6; c++) {
                columns[c][i] = revisions.get(i)[c];
            }
        }
        try (PreparedStatement ps = conn.prepareStatement(APPEND_REVISIONS)) {
            for (int c = 0; c < 6; c++) {
                ps.setArray(c + 1, conn.createArrayOf("text", columns[c]));
            }
            return ps.executeUpdate();
        }
    }
}
