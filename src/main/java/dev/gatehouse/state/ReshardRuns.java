package dev.gatehouse.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The reshard that the processes splitting one bot's shards run together ({@code gatehouse_reshard}): the leader
 * opens it under the bot's advisory lock, the others find it open and follow it, and it closes once every part
 * recorded the new count in {@code gatehouse_shard_part}.
 */
public final class ReshardRuns {
    /** An open reshard: its generation (one per opening), the counts, and the process that opened it. */
    public record Open(long generation, int fromShards, int toShards, String leader) {
    }

    /** The bot's lock for opening a reshard: one key per application id (the high bits mark it as ours). */
    static final String LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('gatehouse_reshard', ?))";
    static final String READ_OPEN = """
            SELECT generation, from_shards, to_shards, leader, lease_until > now() FROM gatehouse_reshard
            WHERE application_id = ? AND phase = 'loading' AND modulus = ?""";
    static final String OPEN = """
            INSERT INTO gatehouse_reshard (application_id, generation, modulus, from_shards, to_shards, leader, phase, lease_until)
            VALUES (?, 1, ?, ?, ?, ?, 'loading', now() + make_interval(secs => ?))
            ON CONFLICT (application_id) DO UPDATE SET generation = gatehouse_reshard.generation + 1, modulus = EXCLUDED.modulus,
                from_shards = EXCLUDED.from_shards, to_shards = EXCLUDED.to_shards, leader = EXCLUDED.leader, phase = 'loading',
                lease_until = EXCLUDED.lease_until, opened_at = now()
            RETURNING generation""";
    static final String RENEW = """
            UPDATE gatehouse_reshard SET lease_until = now() + make_interval(secs => ?)
            WHERE application_id = ? AND generation = ? AND leader = ? AND phase = 'loading'""";
    static final String ABORT = """
            UPDATE gatehouse_reshard SET phase = 'aborted' WHERE application_id = ? AND generation = ? AND leader = ? AND phase = 'loading'""";
    /**
     * Closes the reshard when the parts at its count cover every residue of the modulus: counted once each (rows of an
     * earlier split may overlap), and only of parts that are alive (their lease runs) or switched or started during this
     * reshard: a row of a split that no longer exists does neither.
     */
    static final String FINISH = """
            UPDATE gatehouse_reshard r SET phase = 'switched'
            WHERE r.application_id = ? AND r.generation = ? AND r.phase = 'loading'
              AND (SELECT count(DISTINCT x) FROM gatehouse_shard_part p, generate_series(p.first_residue, p.last_residue) x
                   WHERE p.application_id = r.application_id AND p.modulus = r.modulus AND p.total_shards = r.to_shards
                     AND (p.alive_until > now() OR p.switched_at >= r.opened_at)) >= r.modulus""";

    private final DataSource db;
    private final long applicationId;
    private final int modulus;

    public ReshardRuns(DataSource db, ApplicationId application, int modulus) {
        this.db = db;
        this.applicationId = application.id();
        this.modulus = modulus;
    }

    /**
     * Opens a reshard {@code from -> to} led by {@code leader}, unless one is open whose leader's lease still runs:
     * then that one is returned, and the caller follows it.
     */
    public Open lead(int from, int to, String leader, long leaseMs) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement(LOCK)) {
                    ps.setLong(1, applicationId);
                    ps.execute();
                }
                try (PreparedStatement ps = c.prepareStatement(READ_OPEN)) {
                    ps.setLong(1, applicationId);
                    ps.setInt(2, modulus);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next() && rs.getBoolean(5)) {
                            Open open = new Open(rs.getLong(1), rs.getInt(2), rs.getInt(3), rs.getString(4));
                            c.commit();
                            return open;
                        }
                    }
                }
                long generation;
                try (PreparedStatement ps = c.prepareStatement(OPEN)) {
                    bind(ps, applicationId, modulus, from, to, leader, leaseMs / 1000.0);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        generation = rs.getLong(1);
                    }
                }
                c.commit();
                return new Open(generation, from, to, leader);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * The reshard open now, if any (whatever its lease: a process that has not switched its part follows it), of this
     * process's modulus: one left open by processes that split another totalShards is of a split that no longer exists.
     */
    public Optional<Open> open() throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(READ_OPEN)) {
            ps.setLong(1, applicationId);
            ps.setInt(2, modulus);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Open(rs.getLong(1), rs.getInt(2), rs.getInt(3), rs.getString(4))) : Optional.empty();
            }
        }
    }

    /** The leader's part still loads: its lease runs on. */
    public void renew(Open open, long leaseMs) throws SQLException {
        update(RENEW, leaseMs / 1000.0, applicationId, open.generation(), open.leader());
    }

    /** The leader's own part failed: the reshard is abandoned (parts that switched already keep the new count). */
    public void abort(Open open) throws SQLException {
        update(ABORT, applicationId, open.generation(), open.leader());
    }

    /** After a part switched: true when that closed the reshard (every part now runs its count). */
    public boolean finish(Open open) throws SQLException {
        return update(FINISH, applicationId, open.generation()) > 0;
    }

    private int update(String sql, Object... values) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, values);
            return ps.executeUpdate();
        }
    }

    private static void bind(PreparedStatement ps, Object... values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            ps.setObject(i + 1, values[i]);
        }
    }
}
