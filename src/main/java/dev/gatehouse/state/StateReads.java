package dev.gatehouse.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Every read of the stored state the API serves, as SQL kept in one place. PostgreSQL composes each answer as
 * JSON text: Discord's own object (the {@code data} column, with the children stored apart put back, e.g. a
 * member's {@code user}) under {@code data}, and the soft-delete marks beside it. A new table gets one constant
 * and one method here.
 */
public final class StateReads {
    static final String GUILD = """
            SELECT jsonb_build_object('data', COALESCE(data, jsonb_build_object('id', id::text)), 'shard_id', shard_id,
                   'unavailable', unavailable, 'left_at', left_at)::text
            FROM guilds WHERE id = ?""";
    static final String CHANNEL = """
            SELECT jsonb_build_object('data', COALESCE(data, jsonb_build_object('id', id::text)),
                   'deleted_at', deleted_at)::text
            FROM channels WHERE id = ?""";
    static final String USER = """
            SELECT jsonb_build_object('data', data)::text FROM users WHERE id = ?""";
    static final String MEMBER = """
            SELECT jsonb_build_object('data', COALESCE(m.data, '{}'::jsonb) || jsonb_build_object('user', u.data),
                   'left_at', m.left_at)::text, m.user_id
            FROM members m LEFT JOIN users u ON u.id = m.user_id WHERE m.guild_id = ? AND m.user_id = ?""";
    static final String MESSAGE = """
            SELECT jsonb_build_object('data', COALESCE(m.data, jsonb_build_object('id', m.id::text))
                       || CASE WHEN u.data IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('author', u.data) END,
                   'deleted_at', m.deleted_at,
                   'revisions', COALESCE((SELECT jsonb_agg(jsonb_build_object('data', r.data, 'shard_id', r.shard_id,
                       'seq', r.seq, 'received_at', r.received_at) ORDER BY r.id)
                       FROM message_revisions r WHERE r.message_id = m.id), '[]'::jsonb))::text, COALESCE(m.author_id, 0)
            FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.id = ?""";
    static final String CHANNELS_OF_GUILD = """
            SELECT jsonb_build_object('items', COALESCE(jsonb_agg(jsonb_build_object('data', data,
                   'deleted_at', deleted_at) ORDER BY position NULLS LAST, id), '[]'::jsonb))::text
            FROM channels WHERE guild_id = ? AND (deleted_at IS NULL OR ?)""";
    static final String ROLES_OF_GUILD = """
            SELECT jsonb_build_object('items', COALESCE(jsonb_agg(jsonb_build_object('data', data,
                   'deleted_at', deleted_at) ORDER BY position NULLS LAST, id), '[]'::jsonb))::text
            FROM roles WHERE guild_id = ? AND (deleted_at IS NULL OR ?)""";
    static final String MEMBERS_OF_GUILD = """
            SELECT jsonb_build_object('items', COALESCE(jsonb_agg(jsonb_build_object('data', p.data, 'left_at', p.left_at)
                   ORDER BY p.user_id), '[]'::jsonb), 'next_after', (array_agg(p.user_id::text ORDER BY p.user_id DESC))[1])::text
            FROM (SELECT m.user_id, COALESCE(m.data, '{}'::jsonb) || jsonb_build_object('user', u.data) AS data, m.left_at
                  FROM members m LEFT JOIN users u ON u.id = m.user_id
                  WHERE m.guild_id = ? AND m.user_id > ? AND (m.left_at IS NULL OR ?)
                  ORDER BY m.user_id LIMIT ?) p""";
    static final String PRESENCES_OF_GUILD = """
            SELECT jsonb_build_object('items', COALESCE(jsonb_agg(jsonb_build_object('data', COALESCE(p.data, '{}'::jsonb)
                   || jsonb_build_object('user', jsonb_build_object('id', p.user_id::text))) ORDER BY p.user_id),
                   '[]'::jsonb), 'next_after', (array_agg(p.user_id::text ORDER BY p.user_id DESC))[1])::text
            FROM (SELECT user_id, data FROM presences WHERE guild_id = ? AND user_id > ? AND deleted_at IS NULL
                  ORDER BY user_id LIMIT ?) p""";
    /** Whether the schema has the voice state table (V5 and later). */
    static final String HAS_VOICE_STATES = "SELECT to_regclass('voice_states') IS NOT NULL";
    static final String VOICE_STATES_OF_GUILD = """
            SELECT jsonb_build_object('items', COALESCE(jsonb_agg(jsonb_build_object('data', p.data) ORDER BY p.user_id),
                   '[]'::jsonb), 'next_after', (array_agg(p.user_id::text ORDER BY p.user_id DESC))[1])::text
            FROM (SELECT user_id, data FROM voice_states WHERE guild_id = ? AND user_id > ? AND left_at IS NULL
                  ORDER BY user_id LIMIT ?) p""";

    /** A read's JSON answer (empty when the row does not exist) and the user whose row it embeds (0 for none). */
    record Row(Optional<String> json, long userId) {
    }

    private final DataSource db;
    private final Map<String, LongAdder> queries = new ConcurrentHashMap<>();

    /** Reads through the pool of the state database. */
    public StateReads(DataSource db) {
        this.db = db;
    }

    /** Database queries run so far for one kind of read ({@code guild}, {@code member}, ...). */
    public long queries(String kind) {
        LongAdder n = queries.get(kind);
        return n == null ? 0 : n.sum();
    }

    Row guild(long id) throws SQLException {
        return one("guild", GUILD, id);
    }

    Row channel(long id) throws SQLException {
        return one("channel", CHANNEL, id);
    }

    Row user(long id) throws SQLException {
        return one("user", USER, id);
    }

    Row member(long guildId, long userId) throws SQLException {
        return one("member", MEMBER, guildId, userId);
    }

    Row message(long id) throws SQLException {
        return one("message", MESSAGE, id);
    }

    /** A guild's channels (threads included), by position; with {@code deleted} also the deleted ones. */
    public String channels(long guildId, boolean deleted) throws SQLException {
        return list("channels", CHANNELS_OF_GUILD, guildId, deleted);
    }

    /** A guild's roles, by position. */
    public String roles(long guildId, boolean deleted) throws SQLException {
        return list("roles", ROLES_OF_GUILD, guildId, deleted);
    }

    /** One page of a guild's members: user ids above {@code after}, at most {@code limit}, in id order. */
    public String members(long guildId, long after, int limit, boolean left) throws SQLException {
        return list("members", MEMBERS_OF_GUILD, guildId, after, left, limit);
    }

    /** One page of a guild's presences, like {@link #members}. */
    public String presences(long guildId, long after, int limit) throws SQLException {
        return list("presences", PRESENCES_OF_GUILD, guildId, after, limit);
    }

    /** One page of a guild's voice states; empty when this schema has no voice state table yet. */
    public Optional<String> voiceStates(long guildId, long after, int limit) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(HAS_VOICE_STATES);
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next() || !rs.getBoolean(1)) {
                return Optional.empty();
            }
        }
        return Optional.of(list("voice_states", VOICE_STATES_OF_GUILD, guildId, after, limit));
    }

    /** True when the database answers a trivial query within two seconds. */
    public boolean reachable() {
        try (Connection c = db.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private Row one(String kind, String sql, Object... params) throws SQLException {
        queries.computeIfAbsent(kind, k -> new LongAdder()).increment();
        try (Connection c = db.getConnection(); PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return new Row(Optional.empty(), 0);
            }
            long user = rs.getMetaData().getColumnCount() > 1 ? rs.getLong(2) : 0;
            return new Row(Optional.of(rs.getString(1)), user);
        }
    }

    private String list(String kind, String sql, Object... params) throws SQLException {
        queries.computeIfAbsent(kind, k -> new LongAdder()).increment();
        try (Connection c = db.getConnection(); PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            ps.setObject(i + 1, params[i]);
        }
        return ps;
    }
}
