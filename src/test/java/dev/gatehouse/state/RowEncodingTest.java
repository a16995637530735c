package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.TestPostgres;
import dev.gatehouse.discord.FrameHeader;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.GuildKind;
import dev.gatehouse.pipeline.Session;
import dev.gatehouse.sim.SimGuilds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The load path's rows carry each object's {@code data} as the payload's UTF-8 bytes, never as a string: those bytes
 * are, for every object of the real captured payloads and of the simulator's guilds, the bytes the text path sent
 * (the object's text encoded as UTF-8), and the tables they fill are the same whichever writer writes them. Bytes
 * that are not UTF-8 are stored as the text path stored them; a malformed id is refused naming the field.
 */
class RowEncodingTest {
    private static final Session SESSION = new Session("rows", "ws://127.0.0.1:1", 1, "ws://127.0.0.1:1");

    /** The simulator's GUILD_CREATEs of a world of 40 guilds averaging 100 members (more than a bulk load's minimum). */
    private static List<Dispatch> simulatorGuilds() throws IOException {
        List<Dispatch> out = new ArrayList<>();
        FrameHeader h = new FrameHeader();
        for (byte[] frame : SimGuilds.guildCreateFrames(11, 40, 1500, 100)) {
            h.read(frame, 0, frame.length);
            out.add(new Dispatch(0, SESSION, h.seq, h.type, h.guildId, GuildKind.NONE, frame, 0));
        }
        return out;
    }

    private static Dispatch dispatch(String type, String d) {
        return dispatch(type, d.getBytes(StandardCharsets.UTF_8));
    }

    private static Dispatch dispatch(String type, byte[] d) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("{\"op\":0,\"s\":7,\"t\":\"" + type + "\",\"d\":").getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(d);
        b.write('}');
        return new Dispatch(0, SESSION, 7, type, 0, GuildKind.NONE, b.toByteArray(), 0);
    }

    /** Checks every object of {@code e} (itself and the children its shape stores apart); returns how many. */
    private static int sameAsText(Entity e, Entity.Shape shape, String where) {
        assertArrayEquals(e.json().getBytes(StandardCharsets.UTF_8), e.jsonUtf8(), where + ": " + e.json());
        int n = 1;
        for (Map.Entry<String, Entity.Shape> child : shape.children().entrySet()) {
            Entity one = e.object(child.getKey());
            if (one != null) {
                n += sameAsText(one, child.getValue(), where + "." + child.getKey());
            }
            for (Entity item : e.array(child.getKey())) {
                n += sameAsText(item, child.getValue(), where + "." + child.getKey() + "[]");
            }
        }
        return n;
    }

    @Test
    void everyObjectsDataBytesAreItsTextEncodedAsUtf8() throws Exception {
        List<Dispatch> all = new ArrayList<>(FastLoadTest.dispatches());
        int captured = all.size();
        all.addAll(simulatorGuilds());
        int objects = 0;
        for (Dispatch d : all) {
            Entity.Shape shape = ChangeReader.shapeOf(d.type());
            Entity e = Entity.readData(d.payload(), d.length(), shape);
            if (e != null) {
                objects += sameAsText(e, shape, d.type() + " seq " + d.seq());
            }
        }
        assertTrue(captured > 10, "captured dispatches read: " + captured);
        assertTrue(objects > 10_000, "objects compared: " + objects);
    }

    @Test
    void theSimulatorsGuildsFillTheSameTablesByCopyAsByTheUpsert() throws Exception {
        Map<Table, List<Change.Row>> rows = FastLoadTest.rows(simulatorGuilds());
        assertTrue(rows.get(Table.MEMBERS).size() >= BulkLoader.MIN_ROWS, "members: " + rows.get(Table.MEMBERS).size());
        List<String> bulk = FastLoadTest.written(rows, true);
        List<String> upsert = FastLoadTest.written(rows, false);
        assertTrue(bulk.size() > 5000, "rows stored: " + bulk.size());
        for (int i = 0; i < Math.min(bulk.size(), upsert.size()); i++) {
            assertEquals(upsert.get(i), bulk.get(i), "row " + i + " of " + upsert.size());
        }
        assertEquals(upsert.size(), bulk.size(), "rows stored");
    }

    /** A GUILD_MEMBER_ADD whose member has a field {@code tag} of these bytes. */
    private static Dispatch memberTagged(byte[] tag) {
        ByteArrayOutputStream d = new ByteArrayOutputStream();
        d.writeBytes("{\"guild_id\":\"5\",\"nick\":\"x\",\"roles\":[],\"user\":{\"id\":\"77\",\"username\":\"u\"},\"tag\":\""
                .getBytes(StandardCharsets.US_ASCII));
        d.writeBytes(tag);
        d.writeBytes("\"}".getBytes(StandardCharsets.US_ASCII));
        return dispatch("GUILD_MEMBER_ADD", d.toByteArray());
    }

    @Test
    void bytesThatAreNotUtf8AreStoredAsTheTextPathStoredThem() throws Exception {
        // what the JSON parser lets through: an overlong '/', a UTF-16 surrogate encoded alone, and real UTF-8 around them
        byte[] tag = {'a', (byte) 0xC0, (byte) 0xAF, 'b', (byte) 0xED, (byte) 0xA0, (byte) 0x80, (byte) 0xC3, (byte) 0xA9};
        String asText = new String(tag, StandardCharsets.UTF_8); // the text path's string of those bytes
        assertTrue(asText.startsWith("a\uFFFD") && asText.endsWith("\u00e9"), asText);
        Change c = ChangeReader.read(memberTagged(tag), 42);
        Change.Row member = c.rows.stream().filter(r -> r.table == Table.MEMBERS).findFirst().orElseThrow();
        String text = "{\"guild_id\":\"5\",\"nick\":\"x\",\"roles\":[],\"tag\":\"" + asText + "\"}";
        assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), member.data, new String(member.data, StandardCharsets.UTF_8));
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 1);
             Connection conn = db.dataSource().getConnection()) {
            conn.setAutoCommit(false);
            assertEquals(1, BulkLoader.load(conn, Table.MEMBERS, List.of(member), new StatementClock()), "stored by COPY");
            conn.commit();
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT data->>'tag' FROM members WHERE guild_id = 5 AND user_id = 77")) {
                assertTrue(rs.next(), "the member is stored");
                assertEquals(asText, rs.getString(1));
            }
        }
    }

    @Test
    void bytesTheParserRefusesRefuseTheDispatchSayingWhy() {
        IOException cut = assertThrows(IOException.class, () -> ChangeReader.read(memberTagged(new byte[] {'a', (byte) 0xC3, '('}), 42));
        assertTrue(cut.getMessage().contains("Invalid UTF-8 middle byte 0x28"), cut.getMessage());
    }

    @Test
    void aByteAboveAsciiIsFoundWhereverItIs() {
        for (int len = 0; len <= 20; len++) {
            byte[] b = new byte[len];
            java.util.Arrays.fill(b, (byte) 0x7F);
            assertTrue(Entity.ascii(b), "ASCII only, " + len + " bytes");
            for (int at = 0; at < len; at++) {
                b[at] = (byte) 0x80;
                assertFalse(Entity.ascii(b), "0x80 at " + at + " of " + len);
                b[at] = 'a';
            }
        }
    }

    /** Reading {@code json} as a {@code type} dispatch fails with exactly {@code message}. */
    private static void assertRefused(String type, String json, String message) {
        IOException e = assertThrows(IOException.class, () -> ChangeReader.read(dispatch(type, json), 42));
        assertEquals(message, e.getMessage());
    }

    @Test
    void aMalformedIdIsRefusedNamingTheField() {
        assertRefused("GUILD_MEMBER_ADD", "{\"guild_id\":\"5\",\"roles\":[],\"user\":{\"id\":\"77x\"}}",
                "missing or malformed user id");
        assertRefused("GUILD_MEMBER_ADD", "{\"guild_id\":\"five\",\"roles\":[],\"user\":{\"id\":\"77\"}}",
                "missing or malformed guild_id");
        assertRefused("GUILD_CREATE", "{\"id\":\"5\",\"roles\":[{\"id\":\"1.5\",\"name\":\"r\"}]}",
                "missing or malformed role id");
        assertRefused("GUILD_MEMBER_ADD", "{\"guild_id\":\"5\",\"roles\":[\"12\",\"x1\"],\"user\":{\"id\":\"77\"}}",
                "member roles[] holds 'x1', not a snowflake");
    }

    /**
     * A GUILD_CREATE's children are read through one loop over its lists (ChangeReader's GUILD_CREATE_CHILDREN): every
     * list gives its rows, in the order of the lists, a thread its channel row and the bot's thread member, and the
     * sweeps are those of a guild that is not large.
     */
    @Test
    void aGuildCreateGivesARowForEachChildInTheOrderOfItsLists() throws IOException {
        Change c = ChangeReader.read(dispatch("GUILD_CREATE", "{\"id\":\"5\",\"name\":\"g\",\"large\":false,"
                + "\"channels\":[{\"id\":\"10\",\"type\":0,\"name\":\"general\"},{\"id\":\"11\",\"type\":2}],"
                + "\"threads\":[{\"id\":\"20\",\"type\":11,\"parent_id\":\"10\",\"member\":{\"id\":\"20\",\"user_id\":\"9\","
                + "\"join_timestamp\":\"2024-01-02T03:04:05.000000+00:00\"}},{\"id\":\"21\",\"type\":11}],"
                + "\"roles\":[{\"id\":\"5\",\"name\":\"@everyone\",\"position\":0,\"permissions\":\"0\",\"color\":0}],"
                + "\"members\":[{\"user\":{\"id\":\"30\",\"username\":\"a\"},\"roles\":[\"5\"],\"joined_at\":\"2024-01-02T03:04:05Z\"},"
                + "{\"user\":{\"id\":\"31\",\"username\":\"b\"},\"roles\":[]}],"
                + "\"presences\":[{\"user\":{\"id\":\"30\"},\"status\":\"online\"}],"
                + "\"voice_states\":[{\"user_id\":\"30\",\"channel_id\":\"11\",\"session_id\":\"s\"}],"
                + "\"emojis\":[{\"id\":\"40\",\"name\":\"e\"}],\"stickers\":[{\"id\":\"41\",\"name\":\"s\",\"format_type\":1}],"
                + "\"stage_instances\":[{\"id\":\"42\",\"channel_id\":\"11\",\"topic\":\"t\"}],"
                + "\"guild_scheduled_events\":[{\"id\":\"43\",\"channel_id\":\"11\",\"name\":\"ev\",\"status\":1,"
                + "\"scheduled_start_time\":\"2024-01-02T03:04:05Z\"}]}"), 42);
        List<String> rows = new ArrayList<>();
        for (Change.Row r : c.rows) {
            rows.add(r.table.name + " " + r.values[0] + (r.table.keyCount > 1 ? "/" + r.values[1] : ""));
        }
        assertEquals(List.of("guilds 5", "guild_bots 42/5", "channels 10", "channels 11", "channels 20", "thread_members 20/9",
                "channels 21", "roles 5", "users 30", "members 5/30", "users 31", "members 5/31", "presences 5/30",
                "voice_states 5/30", "emojis 40", "stickers 41", "stage_instances 42", "scheduled_events 43"), rows);
        for (Change.Row r : c.rows) {
            assertTrue(r.data != null || r.table == Table.GUILD_BOTS, r.table + " row without its object");
        }
        int roles = 0;
        while (!Table.MEMBERS.columns.get(roles).name().equals("roles")) {
            roles++;
        }
        assertEquals("{5}", c.rows.get(9).values[roles]);
        assertEquals("{}", c.rows.get(11).values[roles]);
        List<Sweep> sweeps = new ArrayList<>();
        for (Change.SweepOf s : c.sweeps) {
            assertEquals(5, s.id());
            sweeps.add(s.kind());
        }
        assertEquals(List.of(Sweep.CHANNELS_OF_GUILD, Sweep.ROLES_OF_GUILD, Sweep.PRESENCES_OF_GUILD, Sweep.VOICE_STATES_OF_GUILD,
                Sweep.EMOJIS_OF_GUILD, Sweep.STICKERS_OF_GUILD, Sweep.STAGE_INSTANCES_OF_GUILD, Sweep.SCHEDULED_EVENTS_OF_GUILD,
                Sweep.MEMBERS_OF_GUILD), sweeps);
    }

    @Test
    void aMalformedChildOfAGuildCreateIsRefusedNamingIt() {
        assertRefused("GUILD_CREATE", "{\"id\":\"5\",\"threads\":[{\"id\":\"2x\",\"member\":{\"user_id\":\"9\"}}]}",
                "missing or malformed channel id");
        assertRefused("GUILD_CREATE", "{\"id\":\"5\",\"members\":[{\"roles\":[]}]}",
                "member without user");
        assertRefused("GUILD_CREATE", "{\"id\":\"5\",\"voice_states\":[{\"channel_id\":\"11\"}]}",
                "missing or malformed voice state user_id");
        assertRefused("GUILD_CREATE", "{\"id\":\"5\",\"guild_scheduled_events\":[{\"id\":\"\",\"name\":\"ev\"}]}",
                "missing or malformed scheduled event id");
    }
}
