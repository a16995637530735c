package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.sim.Simulator;
import dev.gatehouse.sim.WorldSnapshot;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Every state table in PostgreSQL compared with the simulator's world, row by row (keys and the values queries use). */
final class StateTruth {
    /** Live rows of guilds the bot is in and that are not in an outage (an outage freezes what was stored). */
    private static final String AVAILABLE = " AND guild_id IN (SELECT id FROM guilds WHERE left_at IS NULL AND NOT unavailable)";

    private StateTruth() {
    }

    /** Guilds, channels, roles, members ({@link Harness}), and presences, roles of members, voice states, emojis, stickers, stages, events, thread members. */
    static void assertEveryTableEqualsWorld(Simulator sim, String jdbcUrl) throws SQLException {
        assertEveryTableEqualsWorld(sim, jdbcUrl, TestPostgres.server().user());
    }

    /** {@link #assertEveryTableEqualsWorld(Simulator, String)} on a database of another server. */
    static void assertEveryTableEqualsWorld(Simulator sim, String jdbcUrl, String user) throws SQLException {
        Harness.assertDatabaseEqualsWorld(sim, jdbcUrl); // every embedded server's superuser is postgres
        WorldSnapshot w = sim.truth();
        Set<Long> available = w.guilds().stream().filter(g -> !g.unavailable()).map(WorldSnapshot.Guild::id)
                .collect(Collectors.toSet());
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, "")) {
            compare(c, "member roles", w.members(), available, WorldSnapshot.Member::guildId,
                    m -> m.guildId() + ":" + m.userId() + ":" + m.roles().stream().sorted().toList(),
                    "SELECT guild_id || ':' || user_id || ':' || ARRAY(SELECT unnest(roles) ORDER BY 1)::text FROM members"
                            + " WHERE left_at IS NULL" + AVAILABLE, s -> s.replace("{", "[").replace("}", "]").replace(",", ", "));
            compare(c, "presences", w.presences(), available, WorldSnapshot.Presence::guildId,
                    p -> p.guildId() + ":" + p.userId() + ":" + p.status(),
                    "SELECT guild_id || ':' || user_id || ':' || status FROM presences WHERE deleted_at IS NULL"
                            + " AND status <> 'offline'" + AVAILABLE, s -> s);
            compare(c, "voice states", w.voiceStates(), available, WorldSnapshot.VoiceState::guildId,
                    v -> v.guildId() + ":" + v.userId() + ":" + v.channelId() + ":" + v.sessionId(),
                    "SELECT guild_id || ':' || user_id || ':' || channel_id || ':' || session_id FROM voice_states"
                            + " WHERE left_at IS NULL" + AVAILABLE, s -> s);
            compare(c, "emojis", w.emojis(), available, WorldSnapshot.Emoji::guildId, e -> e.id() + ":" + e.name(),
                    "SELECT id || ':' || name FROM emojis WHERE deleted_at IS NULL" + AVAILABLE, s -> s);
            compare(c, "stickers", w.stickers(), available, WorldSnapshot.Sticker::guildId, e -> e.id() + ":" + e.name(),
                    "SELECT id || ':' || name FROM stickers WHERE deleted_at IS NULL" + AVAILABLE, s -> s);
            compare(c, "stage instances", w.stageInstances(), available, WorldSnapshot.StageInstance::guildId,
                    e -> e.id() + ":" + e.channelId() + ":" + e.topic(),
                    "SELECT id || ':' || channel_id || ':' || topic FROM stage_instances WHERE deleted_at IS NULL" + AVAILABLE, s -> s);
            compare(c, "scheduled events", w.scheduledEvents(), available, WorldSnapshot.ScheduledEvent::guildId,
                    e -> e.id() + ":" + e.name(),
                    "SELECT id || ':' || name FROM scheduled_events WHERE deleted_at IS NULL" + AVAILABLE, s -> s);
            compare(c, "thread members", w.threadMembers(), available, WorldSnapshot.ThreadMember::guildId,
                    e -> e.threadId() + ":" + e.userId(),
                    "SELECT thread_id || ':' || user_id FROM thread_members WHERE left_at IS NULL" + AVAILABLE
                            + " AND thread_id IN (SELECT id FROM channels WHERE deleted_at IS NULL)", s -> s);
        }
    }

    private static <T> void compare(Connection c, String what, java.util.List<T> world, Set<Long> available,
                                    Function<T, Long> guild, Function<T, String> key, String sql,
                                    Function<String, String> normalize) throws SQLException {
        Set<String> expected = new TreeSet<>();
        for (T t : world) {
            if (available.contains(guild.apply(t))) {
                expected.add(key.apply(t));
            }
        }
        Set<String> stored = new TreeSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                stored.add(normalize.apply(rs.getString(1)));
            }
        }
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(stored);
        Set<String> extra = new TreeSet<>(stored);
        extra.removeAll(expected);
        assertEquals("", (missing.isEmpty() ? "" : "missing " + missing.size() + ": " + missing.stream().limit(5).toList())
                + (extra.isEmpty() ? "" : " extra " + extra.size() + ": " + extra.stream().limit(5).toList()), what);
    }
}
