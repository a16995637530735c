package dev.gatehouse.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Identify turns shared by every Gatehouse process on one database (table {@code gatehouse_identify}): a
 * turn is taken under the bucket row's lock and stamped with the database's clock, so two processes with
 * disjoint shard ranges never identify in one bucket within the interval.
 */
public final class IdentifyTurns {
    static final String ENSURE = """
            INSERT INTO gatehouse_identify (application_id, max_concurrency, bucket, last_at) VALUES (?, ?, ?, 'epoch')
            ON CONFLICT DO NOTHING""";
    /** Milliseconds until the bucket's next turn (0 or less: now), under the row's lock. */
    static final String WAIT = """
            SELECT CEIL(EXTRACT(EPOCH FROM (last_at + make_interval(secs => ? / 1000.0) - clock_timestamp())) * 1000)
            FROM gatehouse_identify WHERE application_id = ? AND max_concurrency = ? AND bucket = ? FOR UPDATE""";
    static final String TAKE = """
            UPDATE gatehouse_identify SET last_at = clock_timestamp() WHERE application_id = ? AND max_concurrency = ? AND bucket = ?""";

    static final String SENT = """
            UPDATE gatehouse_identify SET last_at = GREATEST(last_at, clock_timestamp())
            WHERE application_id = ? AND max_concurrency = ? AND bucket = ?""";

    private final DataSource db;
    private final long applicationId;

    /** The turns of application 0 (one bot on the database). */
    public IdentifyTurns(DataSource db) {
        this(db, new ApplicationId(0));
    }

    /** The turns of one bot of those sharing the database (Discord's buckets are per bot). */
    public IdentifyTurns(DataSource db, ApplicationId application) {
        this.db = db;
        this.applicationId = application.id();
    }

    /** Takes the bucket's turn if the last one was at least {@code intervalMs} ago: returns 0, else the ms to wait. */
    public long claim(int bucket, int maxConcurrency, long intervalMs) throws SQLException {
        try (Connection conn = db.getConnection()) {
            conn.setAutoCommit(false);
            try {
                try (PreparedStatement ps = conn.prepareStatement(ENSURE)) {
                    ps.setLong(1, applicationId);
                    ps.setInt(2, maxConcurrency);
                    ps.setInt(3, bucket);
                    ps.executeUpdate();
                }
                long wait;
                try (PreparedStatement ps = conn.prepareStatement(WAIT)) {
                    ps.setLong(1, intervalMs);
                    ps.setLong(2, applicationId);
                    ps.setInt(3, maxConcurrency);
                    ps.setInt(4, bucket);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        double w = rs.getDouble(1);
                        wait = rs.wasNull() ? 0 : (long) Math.max(0, w);
                    }
                }
                if (wait == 0) {
                    try (PreparedStatement ps = conn.prepareStatement(TAKE)) {
                        ps.setLong(1, applicationId);
                        ps.setInt(2, maxConcurrency);
                        ps.setInt(3, bucket);
                        ps.executeUpdate();
                    }
                }
                conn.commit();
                return wait;
            } catch (SQLException | RuntimeException e) {
                conn.rollback();
                throw e;
            }
        }
    }

    /** Restamps the bucket's last turn with the time its identify actually went out. */
    public void sent(int bucket, int maxConcurrency) throws SQLException {
        try (Connection conn = db.getConnection(); PreparedStatement ps = conn.prepareStatement(SENT)) {
            ps.setLong(1, applicationId);
            ps.setInt(2, maxConcurrency);
            ps.setInt(3, bucket);
            ps.executeUpdate();
        }
    }
}
