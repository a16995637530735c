package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.lmax.disruptor.EventHandler;
import dev.gatehouse.Fixtures;
import dev.gatehouse.TestPostgres;
import dev.gatehouse.discord.FrameHeader;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.EventRing;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real captured payloads through a real ring into a real PostgreSQL: what the state keeps of each, soft
 * deletes, message revisions, and a malformed payload that is counted, not fatal.
 */
class StateFixtureTest {
    private static final dev.gatehouse.pipeline.Session SESSION = new dev.gatehouse.pipeline.Session("fixture", "ws://127.0.0.1:1", 1, "ws://127.0.0.1:1");
    private static EmbeddedPostgres pg;
    private static Path dir;
    private static int databases;

    @BeforeAll
    static void start() throws Exception {
        dir = TestPostgres.tempDir("gatehouse-state-pg-");
        pg = EmbeddedPostgres.start(dir.resolve("data"), 0);
    }

    @AfterAll
    static void stop() {
        pg.close();
        TestPostgres.delete(dir);
    }

    private record Run(Database db, StateWriter writer) {
    }

    /** Publishes the frames on shard 0 and waits until the writer has them all. */
    private static Run write(List<byte[]> frames) throws Exception {
        String name = "fixture_" + (++databases);
        pg.createDatabase(name);
        return write(Database.open(pg.jdbcUrl(name), pg.user(), "", 2), new ApplicationId(0), frames);
    }

    /** Publishes the frames on shard 0 of this bot into this database and waits until the writer has them all. */
    private static Run write(Database db, ApplicationId bot, List<byte[]> frames) throws Exception {
        StateWriter writer = new StateWriter(db.dataSource(), 100, dev.gatehouse.pipeline.Handled.none(), bot);
        EventHandler<Dispatch> none = (d, s, end) -> { };
        EventRing ring = new EventRing(64, writer, none, true);
        FrameHeader h = new FrameHeader();
        for (byte[] f : frames) {
            h.read(f, 0, f.length);
            ring.publish(0, SESSION, h.seq, h.type, h.guildId, f, 0, f.length, System.nanoTime());
        }
        ring.shutdown(30_000);
        return new Run(db, writer);
    }

    private static long count(Database db, String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String text(Database db, String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    @Test
    void readyThenGuildCreateStoresTheWholeGuild() throws Exception {
        Run r = write(List.of(Fixtures.frames("gateway_ready.json").get(0), Fixtures.frames("gateway_guild_create.json").get(0)));
        try (Database db = r.db()) {
            assertEquals(0, r.writer().eventsRejected());
            long gid = count(db, "SELECT id FROM guilds WHERE NOT unavailable");
            assertEquals(2, count(db, "SELECT count(*) FROM guilds"), "both READY guilds, one loaded");
            assertEquals(1, count(db, "SELECT count(*) FROM guilds WHERE unavailable"), "the other still unavailable");
            assertEquals(7, count(db, "SELECT count(*) FROM channels WHERE guild_id = " + gid));
            assertEquals(6, count(db, "SELECT count(*) FROM roles WHERE guild_id = " + gid));
            assertEquals(1, count(db, "SELECT count(*) FROM members WHERE guild_id = " + gid));
            assertEquals("username_2", text(db, "SELECT username FROM users WHERE id = 900000000000000018"));
            assertNotNull(text(db, "SELECT data->>'name' FROM guilds WHERE id = " + gid), "guild keeps its object");
            assertEquals(null, text(db, "SELECT data->>'channels' FROM guilds WHERE id = " + gid), "children are stored apart");
            assertEquals("[]", text(db, "SELECT data->>'permission_overwrites' FROM channels LIMIT 1"), "extra fields kept");
            assertEquals(1, count(db, "SELECT count(*) FROM emojis WHERE deleted_at IS NULL AND guild_id = " + gid));
            assertEquals(1, count(db, "SELECT count(*) FROM stickers WHERE deleted_at IS NULL AND guild_id = " + gid));
            assertEquals(null, text(db, "SELECT data->>'emojis' FROM guilds WHERE id = " + gid), "emojis are stored apart");
            assertEquals(0, count(db, "SELECT count(*) FROM voice_states"), "the capture has no one in voice");
            assertEquals(0, count(db, "SELECT count(*) FROM stage_instances") + count(db, "SELECT count(*) FROM scheduled_events"));
            assertEquals(0, count(db, "SELECT count(*) FROM members m WHERE roles IS DISTINCT FROM"
                    + " ARRAY(SELECT jsonb_array_elements_text(m.data->'roles')::bigint)"), "roles column equals the member's roles");
            assertNotNull(text(db, "SELECT loaded_at FROM guilds WHERE id = " + gid), "first load stamped");
        }
    }

    @Test
    void guildUpdateMergesIntoTheStoredGuild() throws Exception {
        byte[] create = Fixtures.frames("gateway_guild_create.json").get(0);
        Run first = write(List.of(create));
        long id;
        try (Database db = first.db()) {
            id = count(db, "SELECT id FROM guilds");
        }
        byte[] update = ("{\"t\":\"GUILD_UPDATE\",\"s\":5,\"op\":0,\"d\":{\"id\":\"" + id
                + "\",\"name\":\"renamed\",\"owner_id\":\"1\",\"roles\":[],\"emojis\":[],\"stickers\":[]}}").getBytes();
        Run r = write(List.of(create, update));
        try (Database db = r.db()) {
            assertEquals(0, r.writer().eventsRejected());
            assertEquals("renamed", text(db, "SELECT name FROM guilds"));
            assertEquals("renamed", text(db, "SELECT data->>'name' FROM guilds"));
            assertNotNull(text(db, "SELECT data->>'joined_at' FROM guilds"), "what only GUILD_CREATE carries stays");
            assertNotNull(text(db, "SELECT member_count FROM guilds"));
            assertEquals(6, count(db, "SELECT count(*) FROM roles WHERE deleted_at IS NULL"), "an update's role list does not sweep");
        }
    }

    @Test
    void aLeftGuildMarksEverythingInItGone() throws Exception {
        byte[] create = Fixtures.frames("gateway_guild_create.json").get(0);
        Run first = write(List.of(create));
        long id;
        try (Database db = first.db()) {
            id = count(db, "SELECT id FROM guilds");
        }
        byte[] delete = ("{\"t\":\"GUILD_DELETE\",\"s\":5,\"op\":0,\"d\":{\"id\":\"" + id + "\"}}").getBytes();
        Run r = write(List.of(create, delete));
        try (Database db = r.db()) {
            assertEquals(0, r.writer().eventsRejected());
            assertEquals(1, count(db, "SELECT count(*) FROM guilds WHERE left_at IS NOT NULL"));
            for (String t : List.of("channels", "roles", "emojis", "stickers")) {
                assertEquals(0, count(db, "SELECT count(*) FROM " + t + " WHERE deleted_at IS NULL"), t);
                assertTrue(count(db, "SELECT count(*) FROM " + t) > 0, t + " rows are kept");
            }
            assertEquals(0, count(db, "SELECT count(*) FROM members WHERE left_at IS NULL"));
        }
    }

    @Test
    void voiceStatesAndThreadsFromTheCapture() throws Exception {
        List<byte[]> frames = new java.util.ArrayList<>(Fixtures.frames("gateway_voice_state_update.json"));
        frames.addAll(Fixtures.frames("gateway_thread_create.json"));
        Run r = write(frames);
        try (Database db = r.db()) {
            assertEquals(0, r.writer().eventsRejected());
            long joined = count(db, "SELECT count(*) FROM voice_states WHERE left_at IS NULL");
            long left = count(db, "SELECT count(*) FROM voice_states WHERE left_at IS NOT NULL");
            assertTrue(joined + left > 0, "voice states stored");
            assertEquals(count(db, "SELECT count(*) FROM voice_states"), count(db,
                    "SELECT count(*) FROM voice_states v JOIN members m USING (guild_id, user_id)"), "each with its member");
            assertEquals(1, count(db, "SELECT count(*) FROM channels WHERE type = 11"));
        }
    }

    @Test
    void messagesKeepEveryEditAndSoftDelete() throws Exception {
        List<byte[]> frames = new java.util.ArrayList<>(Fixtures.frames("gateway_message_create.json"));
        frames.addAll(Fixtures.frames("gateway_message_update.json"));
        frames.addAll(Fixtures.frames("gateway_message_delete.json"));
        Run r = write(frames);
        try (Database db = r.db()) {
            assertEquals(0, r.writer().eventsRejected());
            assertTrue(count(db, "SELECT count(*) FROM messages") >= 3);
            assertEquals(Fixtures.frames("gateway_message_update.json").size(), count(db, "SELECT count(*) FROM message_revisions"));
            assertEquals(1, count(db, "SELECT count(*) FROM messages WHERE id = 900000000000000090 AND deleted_at IS NOT NULL"));
            assertEquals("content_2", text(db, "SELECT content FROM messages WHERE id = 900000000000000087"));
        }
    }

    @Test
    void aMalformedPayloadIsCountedAndTheRestIsStored() throws Exception {
        byte[] bad = "{\"t\":\"GUILD_MEMBER_ADD\",\"s\":2,\"op\":0,\"d\":{\"guild_id\":\"1\"}}".getBytes();
        Run r = write(List.of(bad, Fixtures.frames("gateway_guild_member_update.json").get(0)));
        try (Database db = r.db()) {
            assertEquals(1, r.writer().eventsRejected());
            assertEquals(1, count(db, "SELECT count(*) FROM members"));
        }
    }

    private static byte[] ready(String sessionId, long... guilds) {
        StringBuilder g = new StringBuilder();
        for (long id : guilds) {
            g.append(g.isEmpty() ? "" : ",").append("{\"id\":\"").append(id).append("\",\"unavailable\":true}");
        }
        return ("{\"t\":\"READY\",\"s\":1,\"op\":0,\"d\":{\"v\":10,\"session_id\":\"" + sessionId
                + "\",\"guilds\":[" + g + "],\"shard\":[0,1]}}").getBytes();
    }

    @Test
    void twoBotsOnOneDatabaseKeepTheirOwnGuildsSessionsAndTurns() throws Exception {
        String name = "fixture_" + (++databases);
        pg.createDatabase(name);
        try (Database db = Database.open(pg.jdbcUrl(name), pg.user(), "", 2)) {
            ApplicationId a = new ApplicationId(111), b = new ApplicationId(222);
            write(db, a, List.of(ready("a1", 10, 11)));
            write(db, b, List.of(ready("b1", 11, 12)));
            write(db, a, List.of(ready("a2", 10))); // bot A is no longer in guild 11; bot B still is
            assertEquals(1, count(db, "SELECT count(*) FROM guild_bots WHERE application_id = 111 AND guild_id = 11 AND left_at IS NOT NULL"));
            assertEquals(0, count(db, "SELECT count(*) FROM guild_bots WHERE application_id = 222 AND left_at IS NOT NULL"));
            assertEquals(0, count(db, "SELECT count(*) FROM guilds WHERE left_at IS NOT NULL"), "every guild still has a bot");
            assertEquals(1, new SessionStore(db.dataSource(), a).load().size(), "bot A's session");
            assertEquals(1, new SessionStore(db.dataSource(), b).load().size(), "bot B's session, not overwritten by A's");
            assertEquals(2, count(db, "SELECT count(*) FROM gatehouse_session"));
            assertTrue(new SessionStore(db.dataSource()).load().isEmpty(), "application 0 has no sessions");
            assertEquals(0, new IdentifyTurns(db.dataSource(), a).claim(0, 1, 60_000));
            assertEquals(0, new IdentifyTurns(db.dataSource(), b).claim(0, 1, 60_000), "bot B's bucket is its own");
            assertTrue(new IdentifyTurns(db.dataSource(), a).claim(0, 1, 60_000) > 0, "bot A waits for its own turn");
            write(db, b, List.of(ready("b2", 12)));
            assertEquals(1, count(db, "SELECT count(*) FROM guilds WHERE id = 11 AND left_at IS NOT NULL"), "no bot is in 11 now");
        }
    }

    @Test
    void theApplicationIdIsReadFromTheToken() {
        String id = java.util.Base64.getEncoder().withoutPadding().encodeToString("123456789012345678".getBytes());
        assertEquals(123456789012345678L, ApplicationId.fromToken(id + ".GaBcDe.secret-part").id());
        assertEquals(0, ApplicationId.fromToken("simulated-bot-token").id());
        assertEquals(0, ApplicationId.fromToken("bm90IGRpZ2l0cw.x.y").id(), "a first segment without digits");
    }

    @Test
    void theQueriesOfSchemaMdRunAndFindTheCapturedMember() throws Exception {
        Run r = write(List.of(Fixtures.frames("gateway_ready.json").get(0), Fixtures.frames("gateway_guild_create.json").get(0)));
        String doc = java.nio.file.Files.readString(Path.of("docs/SCHEMA.md"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("```sql\n(.*?)```", java.util.regex.Pattern.DOTALL).matcher(doc);
        try (Database db = r.db(); Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            long guild = count(db, "SELECT guild_id FROM members LIMIT 1");
            long user = count(db, "SELECT user_id FROM members LIMIT 1");
            long channel = count(db, "SELECT id FROM channels WHERE data->'permission_overwrites' IS NOT NULL LIMIT 1");
            int queries = 0;
            while (m.find()) {
                for (String sql : m.group(1).split(";\\s*(--[^\\n]*)?\\n")) {
                    if (sql.isBlank()) {
                        continue;
                    }
                    String bound = sql.replace("$1", Long.toString(guild)).replace("$2", sql.contains("learned_at > $2")
                            ? "'epoch'" : Long.toString(user)).replace("$3", Long.toString(channel));
                    st.executeQuery(bound).close();
                    queries++;
                }
            }
            assertTrue(queries >= 8, "SCHEMA.md's queries ran: " + queries);
        }
    }

    private static byte[] member(String type, int seq, long guild, long user, String nick, String roles) {
        return ("{\"t\":\"" + type + "\",\"s\":" + seq + ",\"op\":0,\"d\":{\"guild_id\":\"" + guild
                + "\",\"user\":{\"id\":\"" + user + "\",\"username\":\"u\"},\"nick\":" + nick + ",\"roles\":" + roles
                + ",\"joined_at\":\"2026-01-01T00:00:00+00:00\"}}").getBytes();
    }

    @Test
    void theChangeLogRecordsMemberEventsAsTheyCome() throws Exception {
        byte[] create = Fixtures.frames("gateway_guild_create.json").get(0);
        Run first = write(List.of(create));
        long guild;
        long role;
        try (Database db = first.db()) {
            guild = count(db, "SELECT id FROM guilds");
            role = count(db, "SELECT id FROM roles WHERE id <> guild_id LIMIT 1");
        }
        long user = 12345;
        byte[] remove = ("{\"t\":\"GUILD_MEMBER_REMOVE\",\"s\":9,\"op\":0,\"d\":{\"guild_id\":\"" + guild
                + "\",\"user\":{\"id\":\"" + user + "\",\"username\":\"u\"}}}").getBytes();
        Run r = write(List.of(create, member("GUILD_MEMBER_ADD", 2, guild, user, "null", "[]")));
        try (Database db = r.db()) {
            assertEquals(1, count(db, "SELECT count(*) FROM member_changes WHERE kind = 'join' AND learned_by = 'event' AND user_id = " + user));
        }
        Run all = write(List.of(create, member("GUILD_MEMBER_ADD", 2, guild, user, "null", "[]")));
        try (Database db = all.db()) {
            write(db, new ApplicationId(0), List.of(member("GUILD_MEMBER_UPDATE", 3, guild, user, "\"nick 1\"", "[\"" + role + "\"]")));
            write(db, new ApplicationId(0), List.of(remove));
            List<String> kinds = new java.util.ArrayList<>();
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT kind, old_value, new_value, learned_by FROM member_changes WHERE user_id = "
                         + user + " ORDER BY id")) {
                while (rs.next()) {
                    kinds.add(rs.getString(1) + " " + rs.getString(2) + " -> " + rs.getString(3) + " " + rs.getString(4));
                }
            }
            assertEquals(List.of("join null -> null event", "nick null -> nick 1 event", "roles {} -> {" + role + "} event",
                    "leave nick 1 -> null event"), kinds);
            assertEquals(0, count(db, "SELECT count(*) FROM member_changes WHERE user_id <> " + user), "the first load logs nothing");
        }
    }

    private static byte[] largeGuildCreate(int seq, String... members) {
        StringBuilder m = new StringBuilder();
        for (String idAndJoined : members) {
            String[] p = idAndJoined.split("@");
            m.append(m.isEmpty() ? "" : ",").append("{\"user\":{\"id\":\"").append(p[0]).append("\"},\"roles\":[],\"joined_at\":\"")
                    .append(p[1]).append("\"}");
        }
        return ("{\"t\":\"GUILD_CREATE\",\"s\":" + seq + ",\"op\":0,\"d\":{\"id\":\"5\",\"name\":\"g\",\"large\":true,"
                + "\"members\":[" + m + "]}}").getBytes();
    }

    @Test
    void aLargeGuildsNewlyListedMemberIsAJoinOnlyWhenTheyJoinedAfterTheFirstLoad() throws Exception {
        String name = "fixture_" + (++databases);
        pg.createDatabase(name);
        try (Database db = Database.open(pg.jdbcUrl(name), pg.user(), "", 2)) {
            write(db, new ApplicationId(0), List.of(largeGuildCreate(2, "1@2020-01-01T00:00:00+00:00")));
            write(db, new ApplicationId(0), List.of(largeGuildCreate(3, "1@2020-01-01T00:00:00+00:00",
                    "2@2020-06-01T00:00:00+00:00", "3@2099-01-01T00:00:00+00:00")));
            assertEquals(3, count(db, "SELECT count(*) FROM members WHERE left_at IS NULL"));
            assertEquals(3, count(db, "SELECT user_id FROM member_changes WHERE kind = 'join' AND learned_by = 'diff'"),
                    "only the member who joined after the first load");
            assertEquals(1, count(db, "SELECT count(*) FROM member_changes"));
        }
    }
}
