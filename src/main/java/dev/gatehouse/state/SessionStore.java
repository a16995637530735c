package dev.gatehouse.state;

import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.pipeline.Session;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * Every shard's gateway session in PostgreSQL (table {@code gatehouse_session}), so a restarted Gatehouse
 * resumes instead of identifying. The state writer advances {@code stored_seq} inside its own transactions;
 * the forwarder's checkpoints go to a table of their own ({@code gatehouse_delivery}) through
 * {@link #checkpointDelivered}: one writer per row, so the two never wait on or deadlock with each other
 * (they did when both updated the same rows in different orders).
 */
public final class SessionStore {
    private static final System.Logger LOG = System.getLogger(SessionStore.class.getName());

    /** One shard's stored session and how far the state writer and the bot got in it. */
    public record Stored(int shardId, Session session, long storedSeq, long deliveredSeq) {
        /** The seq to resume from: Discord replays what comes after it, so no consumer misses anything. */
        public long resumeSeq() {
            return Math.min(storedSeq, deliveredSeq);
        }
    }

    /** A shard's progress as the state writer last saw it. */
    record Progress(int shardId, Session session, long seq) {
    }

    /**
     * A delivery mark counts for the stored session only: one of another session (the bot's view ran ahead of
     * a READY the writer had not stored yet, or behind it) means nothing delivered of the stored session.
     */
    static final String LOAD = """
            SELECT s.shard_id, s.total_shards, s.session_id, s.resume_url, s.stored_seq,
                   CASE WHEN d.session_id = s.session_id THEN d.delivered_seq ELSE 0 END, s.gateway_url
            FROM gatehouse_session s
            LEFT JOIN gatehouse_delivery d ON d.application_id = s.application_id AND d.shard_id = s.shard_id
            WHERE s.application_id = ?""";

    /**
     * Rows in shard order (the caller sorts), so two transactions of this writer lock them in one order. Progress
     * of a shard count other than the recorded one ({@code gatehouse_shard_set}) is ignored: the old set's last
     * progress, saved after a reshard's switch, must not overwrite the new set's sessions. Processes that split the
     * shards record their part's count ({@code gatehouse_shard_part}): a shard's progress is checked against its part's.
     */
    static final String SAVE_STORED = """
            INSERT INTO gatehouse_session AS s (application_id, shard_id, total_shards, session_id, resume_url, stored_seq, gateway_url)
            SELECT ?, u.* FROM unnest(?::integer[], ?::integer[], ?::text[], ?::text[], ?::bigint[], ?::text[])
                AS u(shard_id, total_shards, session_id, resume_url, stored_seq, gateway_url)
            WHERE NOT EXISTS (SELECT 1 FROM gatehouse_shard_set c WHERE c.application_id = ? AND c.total_shards <> u.total_shards)
              AND NOT EXISTS (SELECT 1 FROM gatehouse_shard_part p WHERE p.application_id = ? AND p.total_shards <> u.total_shards
                              AND u.shard_id % p.modulus BETWEEN p.first_residue AND p.last_residue)
            ON CONFLICT (application_id, shard_id) DO UPDATE SET
                total_shards = EXCLUDED.total_shards, session_id = EXCLUDED.session_id,
                resume_url = EXCLUDED.resume_url, stored_seq = EXCLUDED.stored_seq, gateway_url = EXCLUDED.gateway_url,
                updated_at = now()""";

    /** The same session only moves forward; a new session replaces the mark. Only the checkpoint thread writes here. */
    static final String SAVE_DELIVERED = """
            INSERT INTO gatehouse_delivery AS d (application_id, shard_id, session_id, delivered_seq)
            SELECT ?, u.* FROM unnest(?::integer[], ?::text[], ?::bigint[]) AS u ORDER BY 2
            ON CONFLICT (application_id, shard_id) DO UPDATE SET
                delivered_seq = CASE WHEN d.session_id = EXCLUDED.session_id
                                     THEN GREATEST(d.delivered_seq, EXCLUDED.delivered_seq) ELSE EXCLUDED.delivered_seq END,
                session_id = EXCLUDED.session_id, updated_at = now()
            RETURNING d.shard_id""";

    private final DataSource db;
    private final long applicationId;

    /** The sessions of application 0 (one bot on the database). */
    public SessionStore(DataSource db) {
        this(db, new ApplicationId(0));
    }

    /** The sessions of one bot of those sharing the database. */
    public SessionStore(DataSource db, ApplicationId application) {
        this.db = db;
        this.applicationId = application.id();
    }

    /** Every stored session, by shard id. */
    public Map<Integer, Stored> load() throws SQLException {
        Map<Integer, Stored> out = new HashMap<>();
        try (Connection conn = db.getConnection(); PreparedStatement ps = conn.prepareStatement(LOAD)) {
            ps.setLong(1, applicationId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int shard = rs.getInt(1);
                    out.put(shard, new Stored(shard, new Session(rs.getString(3), rs.getString(4), rs.getInt(2), rs.getString(7)),
                            rs.getLong(5), rs.getLong(6)));
                }
            }
        }
        return out;
    }

    /** Saves the writer's progress on {@code conn}, inside the writer's transaction. */
    static int saveStored(Connection conn, long applicationId, Collection<Progress> progress) throws SQLException {
        if (progress.isEmpty()) {
            return 0;
        }
        try (PreparedStatement ps = conn.prepareStatement(SAVE_STORED)) {
            bindStored(conn, ps, 1, applicationId, progress);
            return ps.executeUpdate();
        }
    }

    /**
     * Sets the parameters of {@link #SAVE_STORED} from parameter {@code first} on (the writer sends it in one statement
     * with its upserts); returns the index after the last.
     */
    static int bindStored(Connection conn, PreparedStatement ps, int first, long applicationId, Collection<Progress> progress)
            throws SQLException {
        List<Progress> sorted = new ArrayList<>(progress);
        sorted.sort(java.util.Comparator.comparingInt(Progress::shardId));
        progress = sorted;
        int n = progress.size();
        Integer[] shards = new Integer[n];
        Integer[] totals = new Integer[n];
        String[] ids = new String[n];
        String[] urls = new String[n];
        Long[] seqs = new Long[n];
        String[] gateways = new String[n];
        int i = 0;
        for (Progress p : progress) {
            shards[i] = p.shardId();
            totals[i] = p.session().totalShards();
            ids[i] = p.session().id();
            urls[i] = p.session().resumeUrl();
            seqs[i] = p.seq();
            gateways[i] = p.session().gatewayUrl();
            i++;
        }
        ps.setLong(first, applicationId);
        ps.setArray(first + 1, conn.createArrayOf("integer", shards));
        ps.setArray(first + 2, conn.createArrayOf("integer", totals));
        ps.setArray(first + 3, conn.createArrayOf("text", ids));
        ps.setArray(first + 4, conn.createArrayOf("text", urls));
        ps.setArray(first + 5, conn.createArrayOf("bigint", seqs));
        ps.setArray(first + 6, conn.createArrayOf("text", gateways));
        ps.setLong(first + 7, applicationId);
        ps.setLong(first + 8, applicationId);
        return first + 9;
    }

    /**
     * Saves what the bot took (or the spill holds durably). Returns the shards whose mark was saved.
     */
    public Set<Integer> checkpointDelivered(Map<Integer, Handled.Mark> marks) throws SQLException {
        Set<Integer> taken = new HashSet<>();
        if (marks.isEmpty()) {
            return taken;
        }
        List<Integer> shards = new ArrayList<>(new java.util.TreeSet<>(marks.keySet()));
        String[] ids = new String[shards.size()];
        Long[] seqs = new Long[shards.size()];
        for (int i = 0; i < shards.size(); i++) {
            Handled.Mark m = marks.get(shards.get(i));
            ids[i] = m.sessionId();
            seqs[i] = m.seq();
        }
        try (Connection conn = db.getConnection(); PreparedStatement ps = conn.prepareStatement(SAVE_DELIVERED)) {
            ps.setLong(1, applicationId);
            ps.setArray(2, conn.createArrayOf("integer", shards.toArray()));
            ps.setArray(3, conn.createArrayOf("text", ids));
            ps.setArray(4, conn.createArrayOf("bigint", seqs));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    taken.add(rs.getInt(1));
                }
            }
        }
        return taken;
    }

    /**
     * Checkpoints the bot's acknowledgements every {@code periodMs} on a daemon thread, writing only marks that
     * moved. Closing it writes a last checkpoint. Database outages are waited out (logged once).
     */
    public AutoCloseable checkpointEvery(long periodMs, Supplier<Map<Integer, Handled.Mark>> acknowledged) {
        Map<Integer, Handled.Mark> saved = new HashMap<>();
        Runnable once = new Runnable() {
            private boolean failing;

            @Override
            public void run() {
                Map<Integer, Handled.Mark> moved = new HashMap<>();
                acknowledged.get().forEach((shard, mark) -> {
                    if (!mark.equals(saved.get(shard))) {
                        moved.put(shard, mark);
                    }
                });
                try {
                    for (int shard : checkpointDelivered(moved)) {
                        saved.put(shard, moved.get(shard));
                    }
                    if (failing) {
                        failing = false;
                        LOG.log(System.Logger.Level.INFO, "sessions: delivery checkpoints are saved again");
                    }
                } catch (SQLException e) {
                    if (!failing) {
                        failing = true;
                        LOG.log(System.Logger.Level.WARNING, "sessions: cannot save delivery checkpoints (" + e.getMessage()
                                + "); a restart now would re-deliver events since the last one; retrying");
                    }
                }
            }
        };
        Thread t = Thread.ofPlatform().name("gatehouse-session-checkpoints").daemon(true).start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(periodMs);
                } catch (InterruptedException e) {
                    return;
                }
                once.run();
            }
        });
        return () -> {
            t.interrupt();
            t.join(2_000);
            if (!t.isAlive()) {
                once.run(); // a checkpoint thread stuck on an unreachable database: skip the last one, do not hang
            }
        };
    }
}
