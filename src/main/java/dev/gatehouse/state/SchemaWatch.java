package dev.gatehouse.state;

import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Which database this process's state was loaded into, by its identity ({@code gatehouse_database}, made once with the
 * schema, sql/V14), and the reload of every shard when that changes. PostgreSQL that came back empty gets the schema,
 * and so a new identity, from whoever meets it first: this process's state writer (a table is missing), or another
 * process sharing the database, or an operator's restart, before this process wrote anything. In the second case this
 * process's writes never fail, so only the identity tells it that its shards' rows are gone: {@link #start} checks it
 * every {@code periodMs} while the process runs, and applies the schema itself when the identity's table is missing (a
 * quiet process whose shards send nothing to store).
 *
 * <p>Every check, and every application of the schema, runs under this object's lock, so the writer and the watch
 * never both reload for one change: the first to see the new identity reloads, the other sees it known.
 */
public final class SchemaWatch implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SchemaWatch.class.getName());

    private final DataSource db;
    /** The identity whose state this process holds; "" when it could not be read at start (the schema is gone). */
    private String known;
    private volatile Runnable reload = () -> { };
    private volatile Thread thread;
    private volatile boolean closed;

    /**
     * True when the identity could not be read at start for another reason than a lost schema (a connection that
     * failed a moment): the first identity read later is taken as the one the state was loaded into, without a reload.
     */
    private boolean adopt;

    /** Reads the identity this process starts with (the schema is applied by then). */
    SchemaWatch(DataSource db) {
        this.db = db;
        String id = "";
        try {
            id = Database.identity(db);
        } catch (SQLException e) {
            // the schema lost already: the writer applies it again, and that identity is new; else take the next one read
            adopt = !StateWriter.UNDEFINED_TABLE.equals(e.getSQLState());
        }
        this.known = id;
    }

    /** What reloads every shard's state (makes them identify anew). */
    void reloadWith(Runnable reload) {
        this.reload = reload;
    }

    /**
     * Applies the schema's missing migrations and reloads every shard if that made the schema anew (a new identity) or
     * re-created a part of it (a migration applied while running), and says so in the log. True when it reloaded.
     *
     * False, then, means nothing was applied and the identity is the one already known.
     *
     * @param cause what showed the schema lost (the missing table), for the log
     */
    synchronized boolean reapply(String cause) throws SQLException {
        int applied = Database.migrate(db);
        String id = Database.identity(db);
        boolean moved = adopt || !id.equals(known); // adopting: a lost schema was seen since start, so it is new
        known = id;
        adopt = false;
        if (moved || applied > 0) {
            LOG.log(System.Logger.Level.WARNING, "state: the database had lost the schema (" + cause + "): PostgreSQL came"
                    + " back empty; " + (applied > 0 ? "applied " + applied + " migrations again" : "another process"
                    + " applied the schema again") + "; every shard identifies anew to reload the whole state");
            reload.run();
            return true;
        }
        return false;
    }

    /**
     * One check: the identity is read; a new one reloads every shard, a missing table applies the schema (and reloads).
     * A database that does not answer is left to the next check. True when it reloaded.
     */
    synchronized boolean check() {
        try {
            String id = Database.identity(db);
            if (adopt) {
                known = id;
                adopt = false;
            }
            if (id.equals(known)) {
                return false;
            }
            LOG.log(System.Logger.Level.WARNING, "state: the database's identity changed (" + (known.isEmpty() ? "unknown" : known)
                    + " -> " + id + "): PostgreSQL came back empty and the schema was applied again elsewhere (another"
                    + " process on this database, or a restart); every shard identifies anew to reload its state");
            known = id;
            reload.run();
            return true;
        } catch (SQLException e) {
            if (!StateWriter.UNDEFINED_TABLE.equals(e.getSQLState())) {
                return false; // down, or busy: the writer reports outages
            }
            try {
                return reapply(e.getMessage().lines().findFirst().orElse(""));
            } catch (SQLException again) {
                LOG.log(System.Logger.Level.WARNING, "state: cannot apply the schema again (" + again.getMessage()
                        + "); trying again at the next check");
                return false;
            }
        }
    }

    /** Checks every {@code periodMs} on a daemon thread until {@link #close}. */
    void start(long periodMs) {
        thread = Thread.ofPlatform().name("gatehouse-schema-watch").daemon(true).start(() -> {
            while (!closed) {
                try {
                    Thread.sleep(periodMs);
                } catch (InterruptedException e) {
                    return;
                }
                if (!closed) {
                    check();
                }
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }
}
