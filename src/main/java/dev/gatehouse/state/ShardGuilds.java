package dev.gatehouse.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The guilds the state holds for some shards: what a shard that resumes a previous process's session knows
 * of its guilds (a resume sends no GUILD_CREATE). A read at start, on the {@code guild_bots_shard} index.
 */
public final class ShardGuilds {
    /** One shard's guilds that were not left, and those of them in an outage. */
    public record Of(Set<Long> all, Set<Long> unavailable) {
        public Of {
            all = Set.copyOf(all);
            unavailable = Set.copyOf(unavailable);
        }
    }

    static final String BY_SHARD = """
            SELECT shard_id, guild_id, unavailable FROM guild_bots
            WHERE application_id = ? AND shard_id = ANY(?) AND left_at IS NULL""";

    private final DataSource db;
    private final long applicationId;

    /** The guilds of this bot's shards (several bots may share the database: see {@link ApplicationId}). */
    public ShardGuilds(DataSource db, ApplicationId application) {
        this.db = db;
        this.applicationId = application.id();
    }

    /** The guilds of each of these shards (a shard without any is absent). */
    public Map<Integer, Of> of(Collection<Integer> shardIds) throws SQLException {
        Map<Integer, Set<Long>> all = new HashMap<>();
        Map<Integer, Set<Long>> out = new HashMap<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(BY_SHARD)) {
            ps.setLong(1, applicationId);
            ps.setArray(2, c.createArrayOf("integer", shardIds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int shard = rs.getInt(1);
                    all.computeIfAbsent(shard, k -> new HashSet<>()).add(rs.getLong(2));
                    if (rs.getBoolean(3)) {
                        out.computeIfAbsent(shard, k -> new HashSet<>()).add(rs.getLong(2));
                    }
                }
            }
        }
        Map<Integer, Of> result = new HashMap<>();
        all.forEach((shard, ids) -> result.put(shard, new Of(ids, out.getOrDefault(shard, Set.of()))));
        return result;
    }
}
