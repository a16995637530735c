package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.Fixtures;
import dev.gatehouse.TestPostgres;
import dev.gatehouse.discord.FrameHeader;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.GuildKind;
import dev.gatehouse.pipeline.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The load path on real captured payloads (../shared/fixtures/discord-v10): the rows the reader makes of every captured
 * dispatch, written by the bulk path (binary COPY straight into the tables for new keys) and by the steady-state
 * writer's unnest upsert, are the same rows in every table; and each object's {@code data} (the payload's own bytes of
 * it, the children stored apart cut out) is, as jsonb, the captured object without those children.
 */
class FastLoadTest {
    private static final Session SESSION = new Session("fixture", "ws://127.0.0.1:1", 1, "ws://127.0.0.1:1");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Every captured gateway dispatch the state keeps, as the ring hands it over. */
    static List<Dispatch> dispatches() throws Exception {
        List<Dispatch> out = new ArrayList<>();
        FrameHeader h = new FrameHeader();
        try (var files = Files.list(Fixtures.dir())) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!name.startsWith("gateway_") || !name.endsWith(".json")) {
                    continue;
                }
                for (byte[] frame : Fixtures.frames(name)) {
                    h.read(frame, 0, frame.length);
                    if (h.type != null && ChangeReader.stores(h.type)) {
                        out.add(new Dispatch(0, SESSION, h.seq, h.type, h.guildId, GuildKind.NONE, frame, 0));
                    }
                }
            }
        }
        return out;
    }

    /** The rows of the dispatches folded per table and key, as one flush of the writer folds them. */
    static Map<Table, List<Change.Row>> rows(List<Dispatch> dispatches) throws Exception {
        Map<Table, LinkedHashMap<Object, Change.Row>> byKey = new LinkedHashMap<>();
        for (Dispatch d : dispatches) {
            Change c = ChangeReader.read(d, 42);
            if (c == null) {
                continue;
            }
            for (Change.Row r : c.rows) {
                Change.Row prev = byKey.computeIfAbsent(r.table, t -> new LinkedHashMap<>()).putIfAbsent(r.key(), r);
                if (prev != null) {
                    prev.absorb(r);
                }
            }
        }
        Map<Table, List<Change.Row>> out = new LinkedHashMap<>();
        byKey.forEach((t, m) -> out.put(t, new ArrayList<>(m.values())));
        return out;
    }

    /** Every stored row of every table as JSON, without the columns that hold the transaction's time. */
    private static List<String> stored(Connection c) throws Exception {
        List<String> out = new ArrayList<>();
        for (Table t : Table.ALL) {
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT (to_jsonb(x) - 'updated_at' - 'loaded_at' - '" + t.goneColumn + "')::text, "
                         + (t.goneColumn == null ? "NULL" : "x." + t.goneColumn) + " IS NOT NULL FROM " + t.name + " x ORDER BY 1")) {
                while (rs.next()) {
                    out.add(t.name + " " + rs.getString(1) + " gone=" + rs.getBoolean(2));
                }
            }
        }
        return out;
    }

    static List<String> written(Map<Table, List<Change.Row>> rows, boolean bulk) throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 1);
             Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            for (Table t : Table.ALL) {
                List<Change.Row> r = rows.getOrDefault(t, List.of());
                if (!r.isEmpty()) {
                    assertEquals(r.size(), bulk ? BulkLoader.load(c, t, r, new StatementClock()) : StateWriter.unnestUpsert(c, t, r),
                            t + ": rows written");
                }
            }
            c.commit();
            return stored(c);
        }
    }

    @Test
    void bulkPathStoresWhatTheSteadyStateWriterStoresForEveryCapturedPayload() throws Exception {
        Map<Table, List<Change.Row>> rows = rows(dispatches());
        for (Table t : List.of(Table.GUILDS, Table.CHANNELS, Table.ROLES, Table.USERS, Table.MEMBERS, Table.EMOJIS, Table.STICKERS,
                Table.MESSAGES)) {
            assertTrue(rows.containsKey(t), "the captures fill " + t);
        }
        List<String> bulk = written(rows, true);
        List<String> upsert = written(rows, false);
        assertTrue(bulk.size() > 20, "rows stored: " + bulk.size());
        for (int i = 0; i < Math.min(bulk.size(), upsert.size()); i++) {
            assertEquals(upsert.get(i), bulk.get(i), "row " + i + " of " + upsert.size());
        }
        assertEquals(upsert.size(), bulk.size(), "rows stored");
    }

    @Test
    void dataIsTheCapturedObjectWithoutTheChildrenStoredApart() throws Exception {
        byte[] frame = Fixtures.frames("gateway_guild_create.json").get(0);
        JsonNode d = MAPPER.readTree(frame).get("d");
        ObjectNode guild = d.deepCopy();
        guild.remove(List.of("channels", "threads", "roles", "members", "presences", "voice_states", "emojis", "stickers",
                "stage_instances", "guild_scheduled_events"));
        ObjectNode member = d.get("members").get(0).deepCopy();
        member.remove("user");
        Map<Table, List<Change.Row>> rows = rows(dispatches().stream().filter(x -> x.type().equals("GUILD_CREATE")).toList());
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 1);
             Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            for (Table t : Table.ALL) {
                if (rows.containsKey(t)) {
                    BulkLoader.load(c, t, rows.get(t), new StatementClock());
                }
            }
            c.commit();
            String guildId = d.get("id").asText();
            String userId = d.get("members").get(0).get("user").get("id").asText();
            assertTrue(sameJson(c, "SELECT data FROM guilds WHERE id = " + guildId, guild.toString()), "the guild's data");
            assertTrue(sameJson(c, "SELECT data FROM members WHERE guild_id = " + guildId + " AND user_id = " + userId,
                    member.toString()), "the member's data");
            assertTrue(sameJson(c, "SELECT data FROM users WHERE id = " + userId, d.get("members").get(0).get("user").toString()),
                    "the user's data, a whole object");
            JsonNode channel = d.get("channels").get(0);
            assertTrue(sameJson(c, "SELECT data FROM channels WHERE id = " + channel.get("id").asText(), channel.toString()),
                    "a channel's data, a whole object");
        }
    }

    /** Whether the query's one jsonb value equals {@code json} read as jsonb. */
    private static boolean sameJson(Connection c, String query, String json) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("SELECT (" + query + ") = ?::jsonb, (" + query + ")::text")) {
            ps.setString(1, json);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), query);
                assertTrue(rs.getString(2) != null, "stored: " + query);
                return rs.getBoolean(1);
            }
        }
    }
}
