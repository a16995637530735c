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
 * <p>A writer that keeps up finds the ring empty after each batch; the ring's wait strategy then lets it linger
 * ({@code state.lingerMs}) for company before it takes the next batch, so one transaction covers the events of about a
 * millisecond instead of one or a few (a group commit); at a high rate (many events came during each of its last two
 * transactions) it lingers longer, {@code state.busyLingerMs}, for at most 64 events (the ring's wait strategy). A transaction's small upserts, revisions and progress go in one
 * round trip (a multi-statement), then the sweeps and the commit.
 *
 * <p>The end of a batch with nothing outstanding is written on the consumer thread itself (it waits for it anyway).
 * Other transactions run on the writer's own database thread, one at a time and in order, so reading the next
 * events overlaps writing the last ones: a flush inside a Disruptor batch (at {@code maxEvents} or
 * {@link #MAX_ROWS}) is handed over and reading goes on, at most one more flush waits behind it (memory stays
 * bounded), and the end of a batch waits until everything is stored. Each committed flush advances this consumer's
 * sequence at once, so delivery (which runs after the state) gets a burst of GUILD_CREATEs chunk by chunk instead
 * of after the whole burst.
 *
 * <p>A database outage blocks this consumer and retries with backoff until the database is back: the ring
 * fills, producers wait, nothing is lost. Behind a {@link StateJournal} ({@code delivery.afterState=false}) the
 * consumer stops waiting instead once the database is down, keeping what it holds pending, and the journal takes
 * the ring's events until the database is back. A batch the database refuses for its content is written again one
 * event at a time so that only the events it refuses (logged with shard, seq and the database's reason)
 * are left out.
 */
public final class StateWriter implements EventHandler<Dispatch> {
    private static final System.Logger LOG = System.getLogger(StateWriter.class.getName());

    static final String APPEND_REVISIONS = """
            INSERT INTO message_revisions (message_id, shard_id, seq, content, edited_at, data)
            SELECT u.m::bigint, u.s::integer, u.q::bigint, u.c, u.e::timestamptz, u.d::jsonb
            FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) AS u(m, s, q, c, e, d)""";
    /**
     * First in a transaction's multi-statement: the statements after it (its upserts, revisions and progress, then the
     * sweeps) run their server-prepared generic plan from the first execution. Their plans do not depend on the
     * parameters' values (a scan of the unnest arrays into the insert), but PostgreSQL plans a prepared statement anew
     * for its first five executions, and the multi-statement's text (one per set of tables a flush has rows for) is
     * a new statement often: at the firehose a quarter of the executions were planned, still an eighth once the driver
     * prepared each text at its first use. {@code LOCAL}: the pool's other users
     * (the API's reads) keep the default.
     */
    static final String GENERIC_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan";
    private final DataSource db;
    private final long applicationId;
    private final int maxEvents;
    /** The first wait between two tries while the database is down, and the longest (it doubles), in ms. */
    private final long retryMs;
    private final long maxRetryMs;
    /**
     * Rows one transaction holds at most: a burst of GUILD_CREATEs (hundreds of rows each) otherwise makes one
     * transaction of the whole burst, and state and delivery would advance in one jump at its end. 20,000 rows
     * (about 15 MB) keep COPY's fixed costs per flush small; with one flush being written, one waiting and one
     * being read, the writer holds at most about 45 MB of rows.
     */
    static final int MAX_ROWS = 20_000;
    /**
     * Payload bytes one transaction holds at most (the dispatches' JSON, which its rows hold about as much of as text):
     * a flush is handed over before the dispatch that would take it past this (and at {@link #MAX_ROWS}), so with one
     * flush being written, one waiting and one being read the writer holds at most about three times this, whatever
     * the guilds' sizes (a single dispatch larger than this is one flush of its own).
     */
    static final int MAX_BYTES = 16 << 20;

    private final Handled handled;
    private final StateListener listener;
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
    private long pendingBytes;
    /** The ring sequence of the last event taken. */
    private long lastSequence = -1;
    /** This consumer's sequence in the ring: advanced after each commit, so delivery need not wait for a whole batch. */
    private volatile com.lmax.disruptor.Sequence sequence;
    /** Flushes handed to the database thread; one waits while another is written. */
    private final java.util.concurrent.BlockingQueue<Flush> flushQueue = new java.util.concurrent.ArrayBlockingQueue<>(1);
    /** Flushes handed over and not committed (or given up) yet; guarded by itself. */
    private final int[] outstanding = new int[1];
    private final Thread dbThread;
    /** The database's identity, and every shard's reload when it changes (the database came back empty). */
    private final SchemaWatch schema;

    /** What one transaction writes: the changes, each shard's progress, and the ring sequence they end at. */
    private record Flush(List<Change> changes, List<SessionStore.Progress> progress, long lastSequence) {
    }
    private final LongAdder rowsWritten = new LongAdder();
    private final LongAdder eventsStored = new LongAdder();
    private final LongAdder eventsRejected = new LongAdder();
    private final LongAdder flushes = new LongAdder();
    /** Round trips to PostgreSQL of committed flushes (each statement, and the commit). */
    private final LongAdder roundTrips = new LongAdder();
    /** Flushes the consumer thread wrote itself, without the database thread (see {@link #endBatch}). */
    private final LongAdder writtenHere = new LongAdder();
    private final StatementClock clock = new StatementClock();
    private volatile boolean stopping;
    /** True while a flush waits for the database to come back (set by the database thread). */
    private volatile boolean databaseDown;
    /**
     * Set by a {@link StateJournal} in front of this writer: the consumer no longer waits for a database that is
     * down (what it holds stays pending, in order), so the journal can take the ring's events meanwhile.
     */
    private volatile boolean journaled;

    /**
     * @param handled what this writer had stored when the previous process stopped: replays of it are skipped
     */
    public StateWriter(DataSource db, int maxEvents, Handled handled) {
        this(db, maxEvents, handled, StateListener.NONE, new ApplicationId(0));
    }

    /** @param listener told after every commit which rows it changed (the API's read cache invalidates them) */
    public StateWriter(DataSource db, int maxEvents, Handled handled, StateListener listener) {
        this(db, maxEvents, handled, listener, new ApplicationId(0));
    }

    /**
     * @param handled     what this writer had stored when the previous process stopped: replays of it are skipped
     * @param application the bot whose state this is, among those sharing the database
     */
    public StateWriter(DataSource db, int maxEvents, Handled handled, ApplicationId application) {
        this(db, maxEvents, handled, StateListener.NONE, application);
    }

    /**
     * @param handled     what this writer had stored when the previous process stopped: replays of it are skipped
     * @param listener    told after every commit (on the writer's database thread, before delivery sees its events)
     *                    which rows it changed
     * @param application the bot whose state this is, among those sharing the database
     */
    public StateWriter(DataSource db, int maxEvents, Handled handled, StateListener listener, ApplicationId application) {
        this(db, maxEvents, handled, listener, application, 500, 10_000);
    }

    /**
     * As the other constructor, with the wait between two tries while the database is down: {@code retryMs} first,
     * doubling up to {@code maxRetryMs} ({@code state.retryBackoffMs}, {@code state.maxRetryBackoffMs}).
     */
    public StateWriter(DataSource db, int maxEvents, Handled handled, StateListener listener, ApplicationId application,
                       long retryMs, long maxRetryMs) {
        if (retryMs < 1 || maxRetryMs < retryMs) {
            throw new IllegalArgumentException("the state's retry backoff needs 1 <= retryMs <= maxRetryMs, got "
                    + retryMs + " and " + maxRetryMs);
        }
        this.retryMs = retryMs;
        this.maxRetryMs = maxRetryMs;
        this.applicationId = application.id();
        this.db = db;
        this.maxEvents = maxEvents;
        this.handled = handled;
        this.listener = listener;
        this.schema = new SchemaWatch(db);
        this.dbThread = Thread.ofPlatform().name("gatehouse-state-db").daemon(true).unstarted(this::writeFlushes);
        this.dbThread.start();
    }

    /**
     * What to do when PostgreSQL comes back empty (its data lost while Gatehouse runs): once the schema is applied again
     * (by this writer, or by another process before this one wrote anything), {@code reload} makes every shard identify
     * anew so READY and every GUILD_CREATE fill it again. Once per new schema, whoever applied it.
     */
    public void onSchemaLost(Runnable reload) {
        schema.reloadWith(reload);
    }

    /**
     * Checks the database's identity every {@code periodMs} while running ({@link SchemaWatch}): a process whose writes
     * never failed learns so that another one applied the schema to an empty database, and reloads its shards too.
     */
    public void watchSchema(long periodMs) {
        schema.start(periodMs);
    }

    @Override
    public void setSequenceCallback(com.lmax.disruptor.Sequence sequenceCallback) {
        this.sequence = sequenceCallback;
    }

    @Override
    public void onEvent(Dispatch d, long sequence, boolean endOfBatch) {
        if (handled.covers(d)) {
            replaysSkipped.increment();
        } else {
            if (!pending.isEmpty() && ChangeReader.stores(d.type()) && pendingBytes + d.length() > MAX_BYTES) {
                submit(); // before this dispatch (and its progress) is taken: the flush stays within MAX_BYTES
            }
            take(d);
        }
        lastSequence = sequence;
        if (endOfBatch) {
            endBatch();
        } else if (pending.size() >= maxEvents || pendingRows >= MAX_ROWS || pendingBytes >= MAX_BYTES) {
            submit();
        }
    }

    /**
     * The end of a batch: writes what is pending and waits until it is stored. When no flush is outstanding (the usual
     * case for a writer that keeps up) the consumer thread writes it itself: handing it to the database thread and
     * waiting for its answer would cost two thread wake-ups per transaction for nothing, since the consumer waits
     * anyway. A write that fails here is handed over, and the database thread retries it as always (outages, a lost
     * schema, refused rows); behind a journal everything goes through the database thread, so the consumer never waits
     * for a database that is down.
     */
    void endBatch() {
        if (!pending.isEmpty() || (!progress.isEmpty() && System.nanoTime() - progressSavedAt >= PROGRESS_EVERY_NANOS)) {
            if (!journaled && !databaseDown && idle() && writeHere()) {
                return;
            }
            submit();
        }
        awaitFlushed();
    }

    private boolean idle() {
        synchronized (outstanding) {
            return outstanding[0] == 0;
        }
    }

    /** Writes what is pending on the consumer thread; false (pending kept) when the write failed. */
    private boolean writeHere() {
        try {
            write(pending, new ArrayList<>(progress.values()));
        } catch (SQLException | RuntimeException e) {
            return false; // rolled back: the database thread writes it again and handles what went wrong
        }
        writtenHere.increment();
        clearPending();
        return true;
    }

    /** Hands what is pending to the database thread (waiting while another flush already waits there). */
    private void submit() {
        Flush f = new Flush(new ArrayList<>(pending), new ArrayList<>(progress.values()), lastSequence);
        synchronized (outstanding) {
            outstanding[0]++;
        }
        try {
            while (!flushQueue.offer(f, 20, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                if (leaveWaiting()) { // kept pending: handed over with what follows once the database is back
                    synchronized (outstanding) {
                        outstanding[0]--;
                    }
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            synchronized (outstanding) {
                outstanding[0]--;
            }
            return;
        }
        clearPending();
    }

    /** Waits until every flush handed over is committed (or given up at shutdown). */
    private void awaitFlushed() {
        synchronized (outstanding) {
            while (outstanding[0] > 0 && !leaveWaiting()) {
                try {
                    outstanding.wait(journaled ? 20 : 0);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** True when the consumer should stop waiting for the database: it is down and a journal takes the events. */
    private boolean leaveWaiting() {
        return journaled && databaseDown && !stopping;
    }

    /** Called by the journal in front of this writer (before the ring starts): see {@link #journaled}. */
    void journaled() {
        journaled = true;
    }

    /** True while the database is down and a flush waits for it. */
    boolean databaseDown() {
        return databaseDown;
    }

    /** The database thread: writes the flushes in the order they were handed over. */
    private void writeFlushes() {
        while (true) {
            Flush f;
            try {
                f = flushQueue.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                flush(f);
                com.lmax.disruptor.Sequence s = sequence;
                if (s != null && f.lastSequence() >= 0) {
                    s.set(f.lastSequence());
                }
            } catch (RuntimeException e) {
                databaseDown = false; // this flush is over, not retried: nothing waits for the database now
                eventsRejected.add(f.changes().size());
                LOG.log(System.Logger.Level.ERROR, "state: a flush of " + f.changes().size() + " events failed: " + e);
            } finally {
                synchronized (outstanding) {
                    outstanding[0]--;
                    outstanding.notifyAll();
                }
            }
        }
    }

    /** The ring stopped: the progress not saved yet (events this writer does not store) is saved now. */
    @Override
    public void onShutdown() {
        try {
            if (!pending.isEmpty() || !progress.isEmpty()) {
                submit();
            }
            awaitFlushed();
        } finally {
            dbThread.interrupt();
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
                Change c = ChangeReader.read(d, applicationId);
                if (c != null) {
                    pending.add(c);
                    pendingRows += c.size();
                    pendingBytes += d.length();
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

    /** Round trips to PostgreSQL of the transactions committed (statements and commits). */
    public long roundTrips() {
        return roundTrips.sum();
    }

    /** Transactions the ring's consumer thread wrote itself, without a hand-off to the database thread. */
    public long flushesWrittenHere() {
        return writtenHere.sum();
    }

    /** Seconds the database thread spent per kind of statement (a table's copy, merge or upsert, sweeps, commit). */
    public Map<String, Double> statementSeconds() {
        return clock.seconds();
    }

    /** Lets a flush that is waiting for the database give up at shutdown. */
    public void stop() {
        stopping = true;
        schema.close();
    }

    /** Writes one flush, waiting out database outages (the flush is kept and written again, never lost). */
    private void flush(Flush f) {
        List<Change> changes = f.changes();
        long backoff = retryMs;
        boolean reported = false;
        int reapplied = 0;
        while (true) {
            try {
                write(changes, f.progress());
                databaseDown = false;
                if (reported) {
                    LOG.log(System.Logger.Level.INFO, "state: database is back; stored the " + changes.size() + " waiting events");
                }
                return;
            } catch (SQLException e) {
                if (schemaIncomplete(e)) {
                    if (reapplied > 0) {
                        // still missing after the schema was applied again: the flush waits, as for a database that is
                        // down, and a state journal in front of this writer takes the ring's events meanwhile
                        databaseDown = true;
                    }
                    if (stopping || Thread.currentThread().isInterrupted() || !reapplySchema(e, reapplied > 0 ? backoff : 0, reapplied++)) {
                        eventsRejected.add(changes.size());
                        LOG.log(System.Logger.Level.ERROR, "state: the database has lost the schema and the writer is stopping; "
                                + changes.size() + " events not stored (" + e.getMessage().lines().findFirst().orElse("") + ")");
                        return;
                    }
                    backoff = Math.min(maxRetryMs, backoff * 2);
                    continue;
                }
                if (!transient_(e)) {
                    databaseDown = false;
                    writeOneByOne(changes, f.progress(), e);
                    return;
                }
                if (stopping) {
                    eventsRejected.add(changes.size());
                    LOG.log(System.Logger.Level.ERROR, "state: database unavailable at shutdown; " + changes.size()
                            + " events not stored (" + e.getMessage() + ")");
                    return;
                }
                databaseDown = true;
                if (!reported) {
                    reported = true;
                    LOG.log(System.Logger.Level.WARNING, "state: database unavailable (" + e.getMessage()
                            + "); holding " + changes.size() + " events and retrying; the ring waits meanwhile unless the state journal takes its events");
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff = Math.min(maxRetryMs, backoff * 2);
            }
        }
    }

    private void clearPending() {
        progressSavedAt = System.nanoTime();
        pending.clear();
        pendingRows = 0;
        pendingBytes = 0;
        progress.clear();
    }

    private void writeOneByOne(List<Change> changes, List<SessionStore.Progress> progress, SQLException batchError) {
        LOG.log(System.Logger.Level.WARNING, "state: the database refused a batch of " + changes.size() + " events ("
                + batchError.getMessage() + "); writing them one by one");
        for (Change c : changes) {
            try {
                write(List.of(c), List.of());
            } catch (SQLException e) {
                eventsRejected.increment();
                LOG.log(System.Logger.Level.ERROR, "state: the database refused " + c.source() + ": " + e.getMessage());
            }
        }
        try {
            write(List.of(), progress);
        } catch (SQLException e) {
            LOG.log(System.Logger.Level.ERROR, "state: cannot save session progress: " + e.getMessage());
        }
    }

    /** SQLSTATE of a table that does not exist: the database came back without the schema. */
    static final String UNDEFINED_TABLE = "42P01";
    /** SQLSTATEs of a column and of a function that do not exist: a later migration not applied (yet). */
    static final String UNDEFINED_COLUMN = "42703";
    static final String UNDEFINED_FUNCTION = "42883";

    /**
     * A table, column or function of the schema does not exist: the database came back without the schema, or its
     * migrations are being applied right now (by this process's {@link SchemaWatch}, or by another process; each
     * migration commits on its own), so a write between two of them meets a table without a later migration's column.
     * Either way the schema is applied (or waited for, under the migration lock) and the write tried again: these
     * events are not the database refusing a value.
     */
    static boolean schemaIncomplete(SQLException e) {
        String s = e.getSQLState();
        return UNDEFINED_TABLE.equals(s) || UNDEFINED_COLUMN.equals(s) || UNDEFINED_FUNCTION.equals(s);
    }

    /**
     * The database lost the schema (restarted empty): apply it again; when that made it anew (a new identity: this
     * writer applied it, or another process did since this one last looked) or re-created a part of it, every shard's
     * state is reloaded, once per new schema ({@link SchemaWatch}), not once per retry. Waits {@code pauseMs} first (a
     * table still missing right after the schema was applied again must not make the writer spin). A table still
     * missing after that (dropped by hand while its migration stays recorded) is logged once, and the events wait:
     * identifying anew would not bring it back and would spend the day's identifies. False when it gave up: stopping,
     * or interrupted, before the schema was applied.
     */
    private boolean reapplySchema(SQLException cause, long pauseMs, int attempt) {
        String missing = cause.getMessage().lines().findFirst().orElse("");
        long pause = pauseMs;
        while (true) {
            try {
                if (pause > 0) {
                    Thread.sleep(pause);
                }
                if (stopping) {
                    return false;
                }
                if (!schema.reapply(missing) && attempt == 1) { // nothing applied, nothing new
                    LOG.log(System.Logger.Level.ERROR, "state: a part of the schema is still missing (" + missing + ") after it was"
                            + " applied again, and every migration is recorded in gatehouse_schema: restore the table, or delete"
                            + " its migration's row there so that it is applied again; the events wait meanwhile (logged once)");
                }
                return true;
            } catch (SQLException e) {
                databaseDown = true; // the flush waits for the schema as for a database that is down (a journal takes events)
                if (pause != 1_000) {
                    LOG.log(System.Logger.Level.WARNING, "state: cannot apply the schema again (" + e.getMessage() + "); retrying every second");
                }
                pause = 1_000;
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Connection-level failures (SQLSTATE classes 08, 53, 57) are worth waiting for; others are about the data. */
    private static boolean transient_(SQLException e) {
        String s = e.getSQLState();
        return s == null || s.startsWith("08") || s.startsWith("53") || s.startsWith("57");
    }

    /** One transaction: the changes' rows and each shard's session progress. */
    private void write(List<Change> changes, List<SessionStore.Progress> progress) throws SQLException {
        Map<Table, int[]> sizes = new java.util.IdentityHashMap<>();
        for (Change c : changes) {
            for (Change.Row r : c.rows) {
                sizes.computeIfAbsent(r.table, k -> new int[1])[0]++;
            }
        }
        Map<Table, LinkedHashMap<Object, Change.Row>> rows = new LinkedHashMap<>();
        for (Table t : Table.ALL) {
            // sized once: a flush of a burst holds about 7000 users and as many members
            rows.put(t, LinkedHashMap.newLinkedHashMap(sizes.getOrDefault(t, new int[1])[0]));
        }
        List<String[]> revisions = new ArrayList<>();
        Map<Sweep, List<Long>> sweeps = new java.util.EnumMap<>(Sweep.class);
        for (Change c : changes) {
            for (Change.Row r : c.rows) {
                LinkedHashMap<Object, Change.Row> byKey = rows.get(r.table);
                Object key = r.key();
                Change.Row prev = byKey.putIfAbsent(key, r);
                if (prev != null) {
                    if (!prev.folded()) {
                        // fold into a copy: the change's own row stays as read, for a retry and for the one-by-one
                        // pass after a refusal (which otherwise wrote an event with a later event's values)
                        prev = prev.copy();
                        byKey.put(key, prev);
                    }
                    prev.absorb(r);
                }
            }
            revisions.addAll(c.revisions);
            for (Change.SweepOf s : c.sweeps) {
                sweeps.computeIfAbsent(s.kind(), k -> new ArrayList<>()).add(s.id());
            }
        }
        long written = 0;
        int trips = 1; // the commit
        for (Sweep s : sweeps.keySet()) {
            trips += s.statements.size();
        }
        try (Connection conn = db.getConnection()) {
            conn.setAutoCommit(false);
            try {
                long t = System.nanoTime();
                List<Table> small = new ArrayList<>();
                for (Map.Entry<Table, LinkedHashMap<Object, Change.Row>> e : rows.entrySet()) {
                    if (e.getValue().size() >= BulkLoader.MIN_ROWS) {
                        written += BulkLoader.load(conn, e.getKey(), e.getValue().values(), clock);
                        trips++; // at least: a bulk load stages, copies and merges
                    } else if (!e.getValue().isEmpty()) {
                        small.add(e.getKey());
                    }
                }
                if (!small.isEmpty() || !revisions.isEmpty() || !progress.isEmpty()) {
                    written += writeInOne(conn, small, rows, revisions, progress);
                    trips++;
                }
                t = clock.since("upserts in all (copies and merges included)", t);
                for (Map.Entry<Sweep, List<Long>> s : sweeps.entrySet()) {
                    written += s.getKey().run(conn, s.getValue(), applicationId);
                    t = clock.since("sweep " + s.getKey(), t);
                }
                conn.commit();
                clock.since("commit", t);
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
        roundTrips.add(trips);
        tell(rows, revisions, sweeps);
    }

    /** Tells the listener what the committed transaction changed; a listener's failure never stops the writer. */
    private void tell(Map<Table, LinkedHashMap<Object, Change.Row>> rows, List<String[]> revisions,
                      Map<Sweep, List<Long>> sweeps) {
        if (listener == StateListener.NONE) {
            return;
        }
        List<StateListener.Changed> changed = new ArrayList<>();
        for (Map.Entry<Table, LinkedHashMap<Object, Change.Row>> e : rows.entrySet()) {
            Table t = e.getKey();
            int first = t == Table.GUILD_BOTS ? 1 : 0; // a bot's membership: the guild is what changed
            for (Change.Row r : e.getValue().values()) {
                changed.add(new StateListener.Changed(t == Table.GUILD_BOTS ? "guilds" : t.name, Long.parseLong(r.values[first]),
                        t.keyCount > 1 && t != Table.GUILD_BOTS ? Long.parseLong(r.values[1]) : 0, false));
                if (t == Table.ROLES && r.gone && r.values[1] != null) {
                    // a deleted role leaves every member's roles (ROLE_FROM_MEMBERS): the guild's members changed
                    changed.add(new StateListener.Changed("members", Long.parseLong(r.values[1]), 0, true));
                }
            }
        }
        for (String[] r : revisions) {
            changed.add(new StateListener.Changed("messages", Long.parseLong(r[0]), 0, false));
        }
        for (Map.Entry<Sweep, List<Long>> s : sweeps.entrySet()) {
            List<String> tables = switch (s.getKey()) {
                case CHANNELS_OF_GUILD -> List.of("channels");
                case ROLES_OF_GUILD -> List.of("roles");
                case MEMBERS_OF_GUILD -> List.of("members");
                case PRESENCES_OF_GUILD -> List.of("presences");
                case VOICE_STATES_OF_GUILD -> List.of("voice_states");
                case EMOJIS_OF_GUILD -> List.of("emojis");
                case STICKERS_OF_GUILD -> List.of("stickers");
                case STAGE_INSTANCES_OF_GUILD -> List.of("stage_instances");
                case SCHEDULED_EVENTS_OF_GUILD -> List.of("scheduled_events");
                case GUILD_LEFT -> List.of("channels", "roles", "members", "presences", "voice_states");
                case GUILDS_OF_SHARD -> List.of("guilds");
                case ROLE_FROM_MEMBERS, MEMBERS_OF_THREAD -> List.of(); // told through their rows (roles) or not cached
            };
            for (long id : s.getValue()) {
                for (String table : tables) {
                    changed.add(new StateListener.Changed(table, id, 0, true));
                }
            }
        }
        try {
            listener.committed(changed);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "state: the commit listener failed: " + e);
        }
    }

    /**
     * The small tables' upserts, the message revisions and the shards' progress as one multi-statement: the driver sends
     * them all before a single sync, one round trip instead of one per statement (they are independent of each other;
     * the sweeps, which read what the upserts wrote, follow). Returns the rows upserted and revisions appended.
     */
    private int writeInOne(Connection conn, List<Table> small, Map<Table, LinkedHashMap<Object, Change.Row>> rows,
                           List<String[]> revisions, List<SessionStore.Progress> progress) throws SQLException {
        StringBuilder sql = new StringBuilder(GENERIC_PLANS).append(";\n");
        for (Table t : small) {
            sql.append(t.upsert).append(";\n");
        }
        if (!revisions.isEmpty()) {
            sql.append(APPEND_REVISIONS).append(";\n");
        }
        if (!progress.isEmpty()) {
            sql.append(SessionStore.SAVE_STORED);
        }
        int counted = 1 + small.size() + (revisions.isEmpty() ? 0 : 1); // the SET's and the progress's counts are not rows
        try (PreparedStatement ps = conn.prepareStatement(sql.toString())) {
            // server-prepared from its first use: the text depends on which tables the flush has rows for, and with
            // the driver's default (5 uses of one text first) a quarter of the flushes were parsed and planned anew
            ps.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(1);
            int next = 1;
            for (Table t : small) {
                next = bindUpsert(conn, ps, next, t, rows.get(t).values());
            }
            if (!revisions.isEmpty()) {
                next = bindRevisions(ps, next, revisions);
            }
            if (!progress.isEmpty()) {
                SessionStore.bindStored(conn, ps, next, applicationId, progress);
            }
            int n = 0;
            boolean resultSet = ps.execute();
            for (int i = 0; ; i++) {
                int count = resultSet ? 0 : ps.getUpdateCount();
                if (!resultSet && count == -1) {
                    break;
                }
                if (i > 0 && i < counted) {
                    n += Math.max(0, count);
                }
                resultSet = ps.getMoreResults();
            }
            return n;
        }
    }

    /** The upsert of small batches: one statement, each column's values as one text array. */
    static int unnestUpsert(Connection conn, Table t, java.util.Collection<Change.Row> rows) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(t.upsert)) {
            bindUpsert(conn, ps, 1, t, rows);
            return ps.executeUpdate();
        }
    }

    /** Sets {@code t.upsert}'s parameters from {@code first} on; returns the index after the last. */
    private static int bindUpsert(Connection conn, PreparedStatement ps, int first, Table t, java.util.Collection<Change.Row> rows)
            throws SQLException {
        int width = t.width();
        int dataColumn = Change.Row.dataColumn(t);
        String[][] columns = new String[width][rows.size()];
        byte[][] data = new byte[rows.size()][];
        Boolean[] gone = new Boolean[rows.size()];
        int i = 0;
        for (Change.Row r : rows) {
            for (int c = 0; c < width; c++) {
                columns[c][i] = r.values[c];
            }
            data[i] = r.data;
            gone[i++] = r.gone;
        }
        for (int c = 0; c < width; c++) {
            ps.setObject(first + c, c == dataColumn ? new TextArray(data) : new TextArray(columns[c]));
        }
        if (t.goneColumn != null) {
            ps.setArray(first + width, conn.createArrayOf("boolean", gone));
            return first + width + 1;
        }
        return first + width;
    }

    /** Sets {@link #APPEND_REVISIONS}' parameters from {@code first} on; returns the index after the last. */
    private static int bindRevisions(PreparedStatement ps, int first, List<String[]> revisions) throws SQLException {
        String[][] columns = new String[6][revisions.size()];
        for (int i = 0; i < revisions.size(); i++) {
            for (int c = 0; c < 6; c++) {
                columns[c][i] = revisions.get(i)[c];
            }
        }
        for (int c = 0; c < 6; c++) {
            ps.setObject(first + c, new TextArray(columns[c]));
        }
        return first + 6;
    }
}
