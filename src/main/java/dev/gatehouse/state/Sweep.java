package dev.gatehouse.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * The sweeps of the state: after a full snapshot (a GUILD_CREATE, a READY, a guild's emoji list) the rows of the
 * guild or shard it did not refresh are marked gone; a left guild marks everything in it gone. Each runs after the
 * upserts of its transaction, so rows written in the same transaction ({@code updated_at = now()}) stay.
 * Every statement takes the ids (guilds, shards, roles or threads) as one {@code bigint[]}, at each of its parameters.
 */
enum Sweep {
    /** GUILD_CREATE: channels it no longer lists; threads are not swept (a thread missing from it may be archived). */
    CHANNELS_OF_GUILD("""
            UPDATE channels SET deleted_at = now() WHERE guild_id = ANY(?) AND deleted_at IS NULL
              AND updated_at < now() AND type NOT IN (10, 11, 12)"""),
    ROLES_OF_GUILD(stale("roles", "deleted_at")),
    /** GUILD_CREATE of a guild below large_threshold: it lists every member, whoever is missing has left. */
    MEMBERS_OF_GUILD(stale("members", "left_at, learned_by = 'diff'")),
    /** GUILD_CREATE lists every presence that is not offline. */
    PRESENCES_OF_GUILD(stale("presences", "deleted_at")),
    VOICE_STATES_OF_GUILD(stale("voice_states", "left_at")),
    EMOJIS_OF_GUILD(stale("emojis", "deleted_at")),
    STICKERS_OF_GUILD(stale("stickers", "deleted_at")),
    STAGE_INSTANCES_OF_GUILD(stale("stage_instances", "deleted_at")),
    SCHEDULED_EVENTS_OF_GUILD(stale("scheduled_events", "deleted_at")),
    /** GUILD_DELETE without unavailable: everything of a guild that is (still, at the end of the transaction) left. */
    GUILD_LEFT("""
            UPDATE guilds SET left_at = NULL WHERE id = ANY(?) AND left_at IS NOT NULL
              AND EXISTS (SELECT 1 FROM guild_bots b WHERE b.guild_id = guilds.id AND b.left_at IS NULL)""",
            left("channels", "deleted_at"), left("roles", "deleted_at"), left("members", "left_at", "learned_by = 'gone'"),
            left("presences", "deleted_at"), left("voice_states", "left_at"), left("emojis", "deleted_at"),
            left("stickers", "deleted_at"), left("thread_members", "left_at"), left("stage_instances", "deleted_at"),
            left("scheduled_events", "deleted_at")),
    /**
     * A shard's READY: its guilds not listed have left (and everything in them); the presences and voice states of
     * its guilds are invalid until each guild's GUILD_CREATE lists them again. The other tables are refreshed by
     * each guild's GUILD_CREATE and its sweeps.
     */
    GUILDS_OF_SHARD("""
            UPDATE guild_bots SET left_at = now() WHERE application_id = :app AND shard_id = ANY(?::integer[])
              AND left_at IS NULL AND updated_at < now()""", """
            UPDATE guilds SET left_at = now() WHERE left_at IS NULL AND id IN (SELECT guild_id FROM guild_bots
                WHERE application_id = :app AND shard_id = ANY(?::integer[]) AND left_at = now())
              AND NOT EXISTS (SELECT 1 FROM guild_bots b WHERE b.guild_id = guilds.id AND b.left_at IS NULL)""",
            shardLeft("channels", "deleted_at"), shardLeft("roles", "deleted_at"), shardLeft("members", "left_at", "learned_by = 'gone'"),
            shardLeft("emojis", "deleted_at"), shardLeft("stickers", "deleted_at"), shardLeft("thread_members", "left_at"),
            shardLeft("stage_instances", "deleted_at"), shardLeft("scheduled_events", "deleted_at"),
            shardStale("presences", "deleted_at"), shardStale("voice_states", "left_at")),
    /** GUILD_ROLE_DELETE: Discord sends no member updates; the role leaves every member's roles (column and data). */
    ROLE_FROM_MEMBERS("""
            UPDATE members m SET
                roles = ARRAY(SELECT r FROM unnest(m.roles) WITH ORDINALITY AS x(r, o) WHERE r <> ALL(?) ORDER BY o),
                data = CASE WHEN m.data IS NULL THEN NULL ELSE jsonb_set(m.data, '{roles}', COALESCE((SELECT jsonb_agg(e)
                    FROM jsonb_array_elements(m.data->'roles') AS e WHERE (e #>> '{}')::bigint <> ALL(?)), '[]'::jsonb)) END
            WHERE m.roles && ?"""),
    /** THREAD_DELETE: its members are gone with it. */
    MEMBERS_OF_THREAD("""
            UPDATE thread_members SET left_at = now() WHERE thread_id = ANY(?) AND left_at IS NULL""");

    final List<String> statements;

    Sweep(String... statements) {
        this.statements = List.of(statements);
    }

    private static String stale(String table, String gone) {
        String column = gone.split(",")[0];
        return "UPDATE " + table + " SET " + set(gone) + " WHERE guild_id = ANY(?) AND " + column
                + " IS NULL AND updated_at < now()";
    }

    /** {@code gone = now()}; a "column, extra = value" adds that assignment (members say how they were learned). */
    private static String set(String gone) {
        String[] parts = gone.split(",", 2);
        return parts[0] + " = now()" + (parts.length > 1 ? "," + parts[1] : "");
    }

    private static String left(String table, String gone) {
        return left(table, gone, null);
    }

    private static String left(String table, String gone, String extra) {
        return "UPDATE " + table + " SET " + gone + " = now()" + (extra == null ? "" : ", " + extra) + " WHERE " + gone
                + " IS NULL AND guild_id IN (SELECT id FROM guilds WHERE id = ANY(?) AND left_at IS NOT NULL)";
    }

    private static String shardLeft(String table, String gone) {
        return shardLeft(table, gone, null);
    }

    private static String shardLeft(String table, String gone, String extra) {
        return "UPDATE " + table + " SET " + gone + " = now()" + (extra == null ? "" : ", " + extra) + " WHERE " + gone
                + " IS NULL AND guild_id IN (SELECT id FROM guilds WHERE left_at = now())";
    }

    private static String shardStale(String table, String gone) {
        return "UPDATE " + table + " SET " + gone + " = now() WHERE " + gone + " IS NULL AND updated_at < now()"
                + " AND guild_id IN (SELECT guild_id FROM guild_bots WHERE application_id = :app"
                + " AND shard_id = ANY(?::integer[]) AND left_at IS NULL)";
    }

    /**
     * Runs this sweep for these ids on {@code conn}, inside the writer's transaction, for the bot of this application
     * id ({@code :app} in a statement); returns the rows marked.
     */
    int run(Connection conn, List<Long> ids, long applicationId) throws SQLException {
        int n = 0;
        java.sql.Array array = conn.createArrayOf("bigint", ids.toArray(Long[]::new));
        for (String template : statements) {
            String sql = template.replace(":app", Long.toString(applicationId));
            try (PreparedStatement ps = conn.prepareStatement(sql)) {
                for (int i = 1; i <= sql.chars().filter(ch -> ch == '?').count(); i++) {
                    ps.setArray(i, array);
                }
                n += ps.executeUpdate();
            }
        }
        return n;
    }
}
