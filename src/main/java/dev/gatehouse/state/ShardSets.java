package dev.gatehouse.state;

import dev.gatehouse.pipeline.Session;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The shard count the stored state belongs to ({@code gatehouse_shard_set}) and a reshard's switch: one
 * transaction moving the count, every guild's shard and the stored sessions to the new set together.
 */
public final class ShardSets {
    /** The recorded count and the totalShards setting it was recorded under. */
    public record Recorded(int totalShards, int configuredShards) {
    }

    /** A new set's session at the switch: resumed from {@code mark}; seqs in {@code skipRanges} are not passed on. */
    public record Start(int shardId, Session session, long mark, long[] skipRanges) {
    }

    /** One shard's skipped seqs after a switch, as ranges [first, last]. */
    public record Skips(int shardId, String sessionId, long[] ranges) {
    }

    static final String READ = "SELECT total_shards, configured_shards FROM gatehouse_shard_set";
    static final String RECORD = """
            INSERT INTO gatehouse_shard_set (singleton, total_shards, configured_shards) VALUES (true, ?, ?)
            ON CONFLICT (singleton) DO UPDATE SET total_shards = EXCLUDED.total_shards,
                configured_shards = EXCLUDED.configured_shards, switched_at = now()""";
    /** Locked in the order the state writer takes them (guilds, then sessions), so the switch never deadlocks with it. */
    static final String LOCK = "LOCK TABLE guilds, gatehouse_session, gatehouse_delivery, gatehouse_shard_set IN EXCLUSIVE MODE";
    static final String SWITCH_COUNT = "UPDATE gatehouse_shard_set SET total_shards = ?, switched_at = now()";
    static final String MOVE_GUILDS = """
            UPDATE guilds SET shard_id = ((id >> 22) % ?)::integer WHERE shard_id <> ((id >> 22) % ?)::integer""";
    static final String CLEAR_SESSIONS = "DELETE FROM gatehouse_session";
    static final String CLEAR_DELIVERY = "DELETE FROM gatehouse_delivery";
    static final String CLEAR_SKIPS = "DELETE FROM gatehouse_handover_skip";
    static final String INSERT_SESSION = """
            INSERT INTO gatehouse_session (shard_id, total_shards, session_id, resume_url, stored_seq, gateway_url)
            VALUES (?, ?, ?, ?, ?, ?)""";
    static final String INSERT_DELIVERY = "INSERT INTO gatehouse_delivery (shard_id, session_id, delivered_seq) VALUES (?, ?, ?)";
    static final String INSERT_SKIP = """
            INSERT INTO gatehouse_handover_skip (shard_id, session_id, first_seq, last_seq) VALUES (?, ?, ?, ?)""";
    static final String READ_SKIPS = """
            SELECT shard_id, session_id, first_seq, last_seq FROM gatehouse_handover_skip ORDER BY shard_id, first_seq""";

    private final DataSource db;

    public ShardSets(DataSource db) {
        this.db = db;
    }

    /** The recorded count, if any process recorded one. */
    public Optional<Recorded> recorded() throws SQLException {
        try (Connection c = db.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(READ)) {
            return rs.next() ? Optional.of(new Recorded(rs.getInt(1), rs.getInt(2))) : Optional.empty();
        }
    }

    /** Records the count a starting process runs. */
    public void record(int totalShards, int configuredShards) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(RECORD)) {
            ps.setInt(1, totalShards);
            ps.setInt(2, configuredShards);
            ps.executeUpdate();
        }
    }

    /** The switch, in one transaction: count, guilds' shards, sessions, delivery marks and skipped seqs. */
    public void switchTo(int totalShards, List<Start> sessions) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (Statement st = c.createStatement()) {
                    st.execute(LOCK);
                    st.executeUpdate(CLEAR_SESSIONS);
                    st.executeUpdate(CLEAR_DELIVERY);
                    st.executeUpdate(CLEAR_SKIPS);
                }
                try (PreparedStatement ps = c.prepareStatement(SWITCH_COUNT)) {
                    ps.setInt(1, totalShards);
                    if (ps.executeUpdate() == 0) {
                        throw new SQLException("gatehouse_shard_set has no row: the running count was never recorded");
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(MOVE_GUILDS)) {
                    ps.setInt(1, totalShards);
                    ps.setInt(2, totalShards);
                    ps.executeUpdate();
                }
                try (PreparedStatement s = c.prepareStatement(INSERT_SESSION); PreparedStatement d = c.prepareStatement(INSERT_DELIVERY);
                     PreparedStatement k = c.prepareStatement(INSERT_SKIP)) {
                    for (Start x : sessions) {
                        s.setInt(1, x.shardId());
                        s.setInt(2, totalShards);
                        s.setString(3, x.session().id());
                        s.setString(4, x.session().resumeUrl());
                        s.setLong(5, x.mark());
                        s.setString(6, x.session().gatewayUrl());
                        s.addBatch();
                        d.setInt(1, x.shardId());
                        d.setString(2, x.session().id());
                        d.setLong(3, x.mark());
                        d.addBatch();
                        for (int i = 0; i + 1 < x.skipRanges().length; i += 2) {
                            k.setInt(1, x.shardId());
                            k.setString(2, x.session().id());
                            k.setLong(3, x.skipRanges()[i]);
                            k.setLong(4, x.skipRanges()[i + 1]);
                            k.addBatch();
                        }
                    }
                    s.executeBatch();
                    d.executeBatch();
                    k.executeBatch();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** The skipped seqs a switch recorded, by shard. */
    public Map<Integer, Skips> skips() throws SQLException {
        Map<Integer, List<long[]>> ranges = new HashMap<>();
        Map<Integer, String> sessionOf = new HashMap<>();
        try (Connection c = db.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(READ_SKIPS)) {
            while (rs.next()) {
                int shard = rs.getInt(1);
                sessionOf.put(shard, rs.getString(2));
                ranges.computeIfAbsent(shard, k -> new java.util.ArrayList<>()).add(new long[] {rs.getLong(3), rs.getLong(4)});
            }
        }
        Map<Integer, Skips> out = new HashMap<>();
        ranges.forEach((shard, list) -> {
            long[] flat = new long[list.size() * 2];
            for (int i = 0; i < list.size(); i++) {
                flat[2 * i] = list.get(i)[0];
                flat[2 * i + 1] = list.get(i)[1];
            }
            out.put(shard, new Skips(shard, sessionOf.get(shard), flat));
        });
        return out;
    }
}
