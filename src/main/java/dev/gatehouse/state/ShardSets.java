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
    private static final System.Logger LOG = System.getLogger(ShardSets.class.getName());
    /** The recorded count and the totalShards setting it was recorded under. */
    public record Recorded(int totalShards, int configuredShards) {
    }

    /** A new set's session at the switch: resumed from {@code mark}; seqs in {@code skipRanges} are not passed on. */
    public record Start(int shardId, Session session, long mark, long[] skipRanges) {
    }

    /**
     * The shards this process runs of every count: ids whose residue modulo {@code modulus} lies in
     * {@code first..last}; {@link #WHOLE} for a process running every shard.
     */
    public record Part(int modulus, int first, int last) {
        public static final Part WHOLE = new Part(1, 0, 0);

        public boolean whole() {
            return first == 0 && last == modulus - 1;
        }
    }

    /** One shard's skipped seqs after a switch, as ranges [first, last]. */
    public record Skips(int shardId, String sessionId, long[] ranges) {
    }

    static final String READ = "SELECT total_shards, configured_shards FROM gatehouse_shard_set WHERE application_id = ?";
    static final String RECORD = """
            INSERT INTO gatehouse_shard_set (application_id, total_shards, configured_shards) VALUES (?, ?, ?)
            ON CONFLICT (application_id) DO UPDATE SET total_shards = EXCLUDED.total_shards,
                configured_shards = EXCLUDED.configured_shards, switched_at = now()""";
    static final String READ_PART = """
            SELECT total_shards, configured_shards FROM gatehouse_shard_part
            WHERE application_id = ? AND modulus = ? AND first_residue = ? AND last_residue = ?""";
    static final String RECORD_PART = """
            INSERT INTO gatehouse_shard_part (application_id, modulus, first_residue, last_residue, total_shards, configured_shards,
                alive_until)
            VALUES (?, ?, ?, ?, ?, ?, now() + make_interval(secs => ?))
            ON CONFLICT (application_id, modulus, first_residue, last_residue) DO UPDATE SET total_shards = EXCLUDED.total_shards,
                configured_shards = EXCLUDED.configured_shards, switched_at = now(), alive_until = EXCLUDED.alive_until""";
    /**
     * Rows of this modulus overlapping this process's range under another key: the ranges of running processes never
     * overlap, so they are of a split that no longer exists (this process's own earlier range, before a re-split).
     */
    static final String DROP_OVERLAPPING = """
            DELETE FROM gatehouse_shard_part WHERE application_id = ? AND modulus = ?
              AND NOT (first_residue = ? AND last_residue = ?) AND first_residue <= ? AND last_residue >= ?
            RETURNING first_residue, last_residue, total_shards, alive_until > now()""";
    /** Rows of another modulus (a split of another totalShards) whose lease ran out: no process of that split runs. */
    static final String DROP_FOREIGN = """
            DELETE FROM gatehouse_shard_part WHERE application_id = ? AND modulus <> ? AND alive_until < now()
            RETURNING modulus, first_residue, last_residue, total_shards""";
    static final String READ_FOREIGN_ALIVE = """
            SELECT DISTINCT modulus FROM gatehouse_shard_part WHERE application_id = ? AND modulus <> ? AND alive_until >= now()""";
    static final String RENEW_PART = """
            UPDATE gatehouse_shard_part SET alive_until = now() + make_interval(secs => ?)
            WHERE application_id = ? AND modulus = ? AND first_residue = ? AND last_residue = ?""";
    /** A bot runs either whole (gatehouse_shard_set) or split (gatehouse_shard_part): starting one way drops the other's row. */
    static final String DROP_WHOLE = "DELETE FROM gatehouse_shard_set WHERE application_id = ?";
    static final String DROP_PARTS = "DELETE FROM gatehouse_shard_part WHERE application_id = ?";
    static final String SWITCH_PART = """
            UPDATE gatehouse_shard_part SET total_shards = ?, switched_at = now()
            WHERE application_id = ? AND modulus = ? AND first_residue = ? AND last_residue = ?""";
    /** Locked in the order the state writer takes them (guilds, then sessions), so the switch never deadlocks with it. */
    static final String LOCK = """
            LOCK TABLE guilds, guild_bots, gatehouse_session, gatehouse_delivery, gatehouse_shard_set, gatehouse_shard_part
            IN EXCLUSIVE MODE""";
    static final String SWITCH_COUNT = "UPDATE gatehouse_shard_set SET total_shards = ?, switched_at = now() WHERE application_id = ?";
    /** This bot's guilds; guilds.shard_id is that of the bot that wrote last, so only the guilds this bot is in. */
    static final String MOVE_GUILDS = """
            UPDATE guilds g SET shard_id = ((g.id >> 22) % ?)::integer
            WHERE g.shard_id <> ((g.id >> 22) % ?)::integer AND ((g.id >> 22) % ?) BETWEEN ? AND ?
              AND EXISTS (SELECT 1 FROM guild_bots b WHERE b.application_id = ? AND b.guild_id = g.id)""";
    static final String MOVE_GUILD_BOTS = """
            UPDATE guild_bots SET shard_id = ((guild_id >> 22) % ?)::integer
            WHERE application_id = ? AND shard_id <> ((guild_id >> 22) % ?)::integer AND ((guild_id >> 22) % ?) BETWEEN ? AND ?""";
    static final String CLEAR_SESSIONS = "DELETE FROM gatehouse_session WHERE application_id = ? AND shard_id % ? BETWEEN ? AND ?";
    static final String CLEAR_DELIVERY = "DELETE FROM gatehouse_delivery WHERE application_id = ? AND shard_id % ? BETWEEN ? AND ?";
    static final String CLEAR_SKIPS = "DELETE FROM gatehouse_handover_skip WHERE application_id = ? AND shard_id % ? BETWEEN ? AND ?";
    static final String INSERT_SESSION = """
            INSERT INTO gatehouse_session (application_id, shard_id, total_shards, session_id, resume_url, stored_seq, gateway_url)
            VALUES (?, ?, ?, ?, ?, ?, ?)""";
    static final String INSERT_DELIVERY = """
            INSERT INTO gatehouse_delivery (application_id, shard_id, session_id, delivered_seq) VALUES (?, ?, ?, ?)""";
    static final String INSERT_SKIP = """
            INSERT INTO gatehouse_handover_skip (application_id, shard_id, session_id, first_seq, last_seq) VALUES (?, ?, ?, ?, ?)""";
    static final String READ_SKIPS = """
            SELECT shard_id, session_id, first_seq, last_seq FROM gatehouse_handover_skip WHERE application_id = ?
            ORDER BY shard_id, first_seq""";

    private final DataSource db;
    private final long applicationId;
    private final Part part;

    /** The shard set of application 0 (one bot on the database). */
    public ShardSets(DataSource db) {
        this(db, new ApplicationId(0));
    }

    /** The shard set of one bot of those sharing the database, run whole by one process. */
    public ShardSets(DataSource db, ApplicationId application) {
        this(db, application, Part.WHOLE);
    }

    /** The shard set of one bot, of which this process runs {@code part}. */
    public ShardSets(DataSource db, ApplicationId application, Part part) {
        this.db = db;
        this.applicationId = application.id();
        this.part = part;
    }

    /** The recorded count, if any process recorded one. */
    public Optional<Recorded> recorded() throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(part.whole() ? READ : READ_PART)) {
            ps.setLong(1, applicationId);
            if (!part.whole()) {
                setPart(ps, 2);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Recorded(rs.getInt(1), rs.getInt(2))) : Optional.empty();
            }
        }
    }

    /**
     * Records the count a starting process runs (its part's, when the shards are split over processes), in one
     * transaction with dropping the rows of a split that no longer exists: a process running every shard drops every
     * part; a part drops the whole row, the rows of its modulus that overlap its range under another key, and the rows
     * of another modulus whose lease ran out (it leaves those whose lease runs and says so: they cannot close its
     * reshards, which count only rows of its modulus). {@code leaseMs} is the part's lease, renewed by {@link #keepAlive}.
     */
    public void record(int totalShards, int configuredShards, long leaseMs) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement drop = c.prepareStatement(part.whole() ? DROP_PARTS : DROP_WHOLE)) {
                    drop.setLong(1, applicationId);
                    drop.executeUpdate();
                }
                if (!part.whole()) {
                    dropStaleParts(c);
                }
                try (PreparedStatement ps = c.prepareStatement(part.whole() ? RECORD : RECORD_PART)) {
                    ps.setLong(1, applicationId);
                    int next = 2;
                    if (!part.whole()) {
                        next = setPart(ps, 2);
                    }
                    ps.setInt(next, totalShards);
                    ps.setInt(next + 1, configuredShards);
                    if (!part.whole()) {
                        ps.setDouble(next + 2, leaseMs / 1000.0);
                    }
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private void dropStaleParts(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(DROP_OVERLAPPING)) {
            ps.setLong(1, applicationId);
            setPart(ps, 2);
            ps.setInt(5, part.last());
            ps.setInt(6, part.first());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String row = "residues " + rs.getInt(1) + ".." + rs.getInt(2) + " of " + part.modulus() + " at " + rs.getInt(3)
                            + " shards";
                    if (rs.getBoolean(4)) {
                        LOG.log(System.Logger.Level.WARNING, "shards: dropped the part row of " + row + ", which overlaps this"
                                + " process's residues " + part.first() + ".." + part.last() + " and whose lease still runs: two"
                                + " processes with overlapping firstShardId..lastShardId run the same shards; give each its own range");
                    } else {
                        LOG.log(System.Logger.Level.INFO, "shards: dropped the part row of " + row + " (a split that no longer exists:"
                                + " it overlaps this process's residues " + part.first() + ".." + part.last() + ")");
                    }
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(DROP_FOREIGN)) {
            ps.setLong(1, applicationId);
            ps.setInt(2, part.modulus());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    LOG.log(System.Logger.Level.INFO, "shards: dropped the part row of residues " + rs.getInt(2) + ".." + rs.getInt(3)
                            + " of " + rs.getInt(1) + " at " + rs.getInt(4) + " shards (a split of totalShards=" + rs.getInt(1)
                            + " whose lease ran out; this process splits " + part.modulus() + ")");
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(READ_FOREIGN_ALIVE)) {
            ps.setLong(1, applicationId);
            ps.setInt(2, part.modulus());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    LOG.log(System.Logger.Level.WARNING, "shards: a process splitting totalShards=" + rs.getInt(1) + " still runs"
                            + " (its lease has not run out), while this one splits " + part.modulus() + ": every process of a bot"
                            + " must split the same totalShards; its rows are ignored, and dropped once its lease runs out");
                }
            }
        }
    }

    /**
     * The part this process runs is still running: renews its lease (nothing for a process running every shard).
     *
     * @return false when the part's row is gone (another process dropped it as stale: their ranges overlap)
     */
    public boolean keepAlive(long leaseMs) throws SQLException {
        if (part.whole()) {
            return true;
        }
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(RENEW_PART)) {
            ps.setDouble(1, leaseMs / 1000.0);
            ps.setLong(2, applicationId);
            setPart(ps, 3);
            return ps.executeUpdate() > 0;
        }
    }

    /** Binds modulus, first, last from {@code at}; the next index. */
    private int setPart(PreparedStatement ps, int at) throws SQLException {
        ps.setInt(at, part.modulus());
        ps.setInt(at + 1, part.first());
        ps.setInt(at + 2, part.last());
        return at + 3;
    }

    /**
     * The switch, in one transaction: count, guilds' shards, sessions, delivery marks and skipped seqs, of this
     * process's part only (every shard's when it runs them all).
     */
    public void switchTo(int totalShards, List<Start> sessions) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (Statement st = c.createStatement()) {
                    st.execute(LOCK);
                }
                for (String clear : List.of(CLEAR_SESSIONS, CLEAR_DELIVERY, CLEAR_SKIPS)) {
                    try (PreparedStatement ps = c.prepareStatement(clear)) {
                        ps.setLong(1, applicationId);
                        setPart(ps, 2);
                        ps.executeUpdate();
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(part.whole() ? SWITCH_COUNT : SWITCH_PART)) {
                    ps.setInt(1, totalShards);
                    ps.setLong(2, applicationId);
                    if (!part.whole()) {
                        setPart(ps, 3);
                    }
                    if (ps.executeUpdate() == 0) {
                        throw new SQLException((part.whole() ? "gatehouse_shard_set" : "gatehouse_shard_part")
                                + " has no row: the running count was never recorded");
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(MOVE_GUILDS)) {
                    ps.setInt(1, totalShards);
                    ps.setInt(2, totalShards);
                    setPart(ps, 3);
                    ps.setLong(6, applicationId);
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement(MOVE_GUILD_BOTS)) {
                    ps.setInt(1, totalShards);
                    ps.setLong(2, applicationId);
                    ps.setInt(3, totalShards);
                    setPart(ps, 4);
                    ps.executeUpdate();
                }
                try (PreparedStatement s = c.prepareStatement(INSERT_SESSION); PreparedStatement d = c.prepareStatement(INSERT_DELIVERY);
                     PreparedStatement k = c.prepareStatement(INSERT_SKIP)) {
                    for (Start x : sessions) {
                        s.setLong(1, applicationId);
                        s.setInt(2, x.shardId());
                        s.setInt(3, totalShards);
                        s.setString(4, x.session().id());
                        s.setString(5, x.session().resumeUrl());
                        s.setLong(6, x.mark());
                        s.setString(7, x.session().gatewayUrl());
                        s.addBatch();
                        d.setLong(1, applicationId);
                        d.setInt(2, x.shardId());
                        d.setString(3, x.session().id());
                        d.setLong(4, x.mark());
                        d.addBatch();
                        for (int i = 0; i + 1 < x.skipRanges().length; i += 2) {
                            k.setLong(1, applicationId);
                            k.setInt(2, x.shardId());
                            k.setString(3, x.session().id());
                            k.setLong(4, x.skipRanges()[i]);
                            k.setLong(5, x.skipRanges()[i + 1]);
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
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(READ_SKIPS)) {
            ps.setLong(1, applicationId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int shard = rs.getInt(1);
                    sessionOf.put(shard, rs.getString(2));
                    ranges.computeIfAbsent(shard, k -> new java.util.ArrayList<>()).add(new long[] {rs.getLong(3), rs.getLong(4)});
                }
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
