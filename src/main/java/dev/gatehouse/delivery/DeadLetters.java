package dev.gatehouse.delivery;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Events the bot refused one by one (400, 413, 422), kept in {@code gatehouse_dead_letter} with the bot's
 * status and answer (cut to {@link BotClient#MAX_BODY} characters). While the database cannot take one the
 * lane waits and retries: a refused event is never dropped silently.
 */
final class DeadLetters {
    private static final System.Logger LOG = System.getLogger(DeadLetters.class.getName());

    static final String INSERT = """
            INSERT INTO gatehouse_dead_letter (shard_id, session_id, seq, type, status, answer, event)
            VALUES (?, ?, ?, ?, ?, ?, ?)""";

    private final DataSource db;
    private final LongAdder count = new LongAdder();
    /** Refusals are logged at most once per this interval, with the count since the last line. */
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;
    private long loggedAt = System.nanoTime() - LOG_EVERY_NANOS;
    private long unlogged;

    DeadLetters(DataSource db) {
        this.db = db;
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
