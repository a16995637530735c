package dev.gatehouse.delivery;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Events the bot refused one by one (400, 413, 422), kept in {@code gatehouse_dead_letter} with the bot's
 * status and answer (cut to {@link BotClient#MAX_BODY} characters) and the bot's application id (several bots may
 * share the database). While the database cannot take one the lane waits and retries: a refused event is never
 * dropped silently. Rows older than the retention are deleted at start and then every {@link #PRUNE_EVERY_MS}, each
 * Gatehouse deleting only its own bot's.
 */
final class DeadLetters implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DeadLetters.class.getName());

    static final String INSERT = """
            INSERT INTO gatehouse_dead_letter (shard_id, session_id, seq, type, status, answer, event, application_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)""";
    static final String PRUNE = """
            DELETE FROM gatehouse_dead_letter WHERE application_id = ? AND refused_at < now() - make_interval(days => ?)""";
    static final long PRUNE_EVERY_MS = 3_600_000;

    private final DataSource db;
    private final LongAdder count = new LongAdder();
    /** Refusals are logged at most once per this interval, with the count since the last line. */
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;
    private long loggedAt = System.nanoTime() - LOG_EVERY_NANOS;
    private long unlogged;

    private final long applicationId;
    private final int retentionDays;
    private java.util.concurrent.ScheduledExecutorService pruner;

    /**
     * @param applicationId the bot whose dead letters these are
     * @param retentionDays how long they are kept; 0 keeps them for ever
     */
    DeadLetters(DataSource db, long applicationId, int retentionDays) {
        this.db = db;
        this.applicationId = applicationId;
        this.retentionDays = retentionDays;
    }

    /** Prunes now and then every {@link #PRUNE_EVERY_MS} on a thread of its own (nothing with a retention of 0). */
    synchronized void startPruning() {
        if (retentionDays > 0 && pruner == null) {
            pruner = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                    .name("gatehouse-dead-letter-prune").daemon(true).unstarted(r));
            pruner.scheduleWithFixedDelay(this::pruneLogged, 0, PRUNE_EVERY_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** Deletes this bot's dead letters older than the retention; returns how many. */
    int prune() throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(PRUNE)) {
            ps.setLong(1, applicationId);
            ps.setInt(2, retentionDays);
            return ps.executeUpdate();
        }
    }

    private void pruneLogged() {
        try {
            int n = prune();
            if (n > 0) {
                LOG.log(System.Logger.Level.INFO, "delivery: deleted " + n + " dead letters older than " + retentionDays
                        + " days (delivery.deadLetterRetentionDays)");
            }
        } catch (SQLException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "delivery: cannot delete old dead letters (" + e.getMessage()
                    + "); trying again in " + PRUNE_EVERY_MS / 60_000 + " minutes");
        }
    }

    @Override
    public synchronized void close() {
        if (pruner != null) {
            pruner.shutdownNow();
        }
    }

    /** Stores one refused event; waits out database outages (logged once), gives up only when interrupted. */
    void add(Pending p, Answer a) throws InterruptedException {
        logRefusal(p, a);
        long backoff = 200;
        boolean reported = false;
        while (true) {
            try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
                ps.setInt(1, p.shardId());
                ps.setString(2, p.sessionId() == null ? "" : p.sessionId());
                ps.setLong(3, p.seq());
                ps.setString(4, p.type());
                ps.setInt(5, a.status());
                ps.setString(6, a.detail());
                ps.setString(7, new String(p.body(), StandardCharsets.UTF_8));
                ps.setLong(8, applicationId);
                ps.executeUpdate();
                count.increment();
                return;
            } catch (SQLException e) {
                if (!reported) {
                    reported = true;
                    LOG.log(System.Logger.Level.WARNING, "delivery: cannot store a dead letter (" + e.getMessage()
                            + "); the lane waits and retries");
                }
                Thread.sleep(backoff);
                backoff = Math.min(5_000, backoff * 2);
            }
        }
    }

    private synchronized void logRefusal(Pending p, Answer a) {
        unlogged++;
        long now = System.nanoTime();
        if (now - loggedAt >= LOG_EVERY_NANOS) {
            LOG.log(System.Logger.Level.WARNING, "delivery: bot refused " + p + " (" + a.describe() + "); kept in gatehouse_dead_letter"
                    + (unlogged > 1 ? " (" + unlogged + " refused since the last line; at most one line per 10 s)" : ""));
            loggedAt = now;
            unlogged = 0;
        }
    }

    /** Events dead-lettered since start. */
    long count() {
        return count.sum();
    }
}
