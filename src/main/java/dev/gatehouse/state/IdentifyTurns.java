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
 *
 * <p>A turn is claimed before its identify is sent, and the send can be late (a busy machine, a reshard's extra
 * identifies). So a claim reserves the bucket up to the claim time plus a send budget: the row's {@code last_at}
 * is set to that end, and no process claims again before it plus the interval. When the identify goes out,
 * {@link #sent} moves {@code last_at} back to the send time, if the reservation is still this process's; a send
 * later than the budget counts as sent at the budget's end.
 */
public final class IdentifyTurns {
    static final String ENSURE = """
            INSERT INTO gatehouse_identify (application_id, max_concurrency, bucket, last_at) VALUES (?, ?, ?, 'epoch')
            ON CONFLICT DO NOTHING""";
    /** Milliseconds until the bucket's next turn (0 or less: now), under the row's lock. */
    static final String WAIT = """
            SELECT CEIL(EXTRACT(EPOCH FROM (last_at + make_interval(secs => ? / 1000.0) - clock_timestamp())) * 1000)
            FROM gatehouse_identify WHERE application_id = ? AND max_concurrency = ? AND bucket = ? FOR UPDATE""";
    /** Reserves the bucket until now plus the send budget; returns that end, this process's reservation. */
    static final String TAKE = """
            UPDATE gatehouse_identify SET last_at = clock_timestamp() + make_interval(secs => ? / 1000.0)
            WHERE application_id = ? AND max_concurrency = ? AND bucket = ?
            RETURNING (EXTRACT(EPOCH FROM last_at) * 1000000)::bigint""";

    /** The identify went out: the turn counts from now, or from the reservation's end when that came first. */
    static final String SENT = """
            UPDATE gatehouse_identify SET last_at = LEAST(last_at, clock_timestamp())
            WHERE application_id = ? AND max_concurrency = ? AND bucket = ?
              AND (EXTRACT(EPOCH FROM last_at) * 1000000)::bigint = ?""";

    /** How long after its claim an identify may go out and still count from its send time (see the class comment). */
    public static final long SEND_BUDGET_MS = 5_000;

    private final DataSource db;
    private final long applicationId;
    private final long sendBudgetMs;
    /** This process's open reservation per (max_concurrency, bucket), in epoch microseconds, until its identify is sent. */
    private final java.util.Map<Long, Long> reserved = new java.util.concurrent.ConcurrentHashMap<>();

    /** The turns of application 0 (one bot on the database). */
    public IdentifyTurns(DataSource db) {
        this(db, new ApplicationId(0), SEND_BUDGET_MS);
    }

    /** The turns of one bot of those sharing the database (Discord's buckets are per bot). */
    public IdentifyTurns(DataSource db, ApplicationId application) {
        this(db, application, SEND_BUDGET_MS);
    }

    /** Turns of application 0 whose claims reserve the bucket for {@code sendBudgetMs} (tests use short budgets). */
    public IdentifyTurns(DataSource db, long sendBudgetMs) {
        this(db, new ApplicationId(0), sendBudgetMs);
    }

    /** Turns of one bot whose claims reserve the bucket for {@code sendBudgetMs}. */
    public IdentifyTurns(DataSource db, ApplicationId application, long sendBudgetMs) {
        this.db = db;
        this.applicationId = application.id();
        this.sendBudgetMs = sendBudgetMs;
    }

    private static long key(int bucket, int maxConcurrency) {
        return ((long) maxConcurrency << 32) | bucket;
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
                        ps.setLong(1, sendBudgetMs);
                        ps.setLong(2, applicationId);
                        ps.setInt(3, maxConcurrency);
                        ps.setInt(4, bucket);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            reserved.put(key(bucket, maxConcurrency), rs.getLong(1));
                        }
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

    /**
     * Restamps the bucket's last turn with the time its identify actually went out, when the bucket still holds this
     * process's reservation (otherwise the reservation's end stands, as the budget promised).
     */
    public void sent(int bucket, int maxConcurrency) throws SQLException {
        Long mine = reserved.remove(key(bucket, maxConcurrency));
        if (mine == null) {
            return;
        }
        try (Connection conn = db.getConnection(); PreparedStatement ps = conn.prepareStatement(SENT)) {
            ps.setLong(1, applicationId);
            ps.setInt(2, maxConcurrency);
            ps.setInt(3, bucket);
            ps.setLong(4, mine);
            ps.executeUpdate();
        }
    }
}
