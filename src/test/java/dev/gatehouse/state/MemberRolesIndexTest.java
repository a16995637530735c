package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The members' roles index (sql/V15): new entries go into the GIN tree at once, never into a pending list that every
 * scan reads whole (at the firehose it held ~50,000 entries and made each GUILD_ROLE_DELETE's sweep take ~6.5 ms), and
 * the queries that use it answer as before: "members with role X" (docs/SCHEMA.md) and the role's sweep, which takes
 * the role out of the column and out of {@code data}.
 */
class MemberRolesIndexTest {
    private static final long GUILD = 10;
    private static final long A = 501;
    private static final long B = 502;

    /** Member {@code user} holds A when user is even, B when divisible by 3 (so 6, 12, ... hold both). */
    private static Change.Row member(long user) {
        List<String> roles = new ArrayList<>();
        if (user % 2 == 0) {
            roles.add(Long.toString(A));
        }
        if (user % 3 == 0) {
            roles.add(Long.toString(B));
        }
        String column = "{" + String.join(",", roles) + "}";
        String json = "[" + String.join(",", roles.stream().map(r -> "\"" + r + "\"").toList()) + "]";
        return new Change.Row(Table.MEMBERS, Long.toString(GUILD), Long.toString(user), "n" + user, null, column, "event",
                "{\"nick\":\"n" + user + "\",\"roles\":" + json + "}");
    }

    private static List<Long> withRole(Connection c, long role) throws SQLException {
        List<Long> users = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT user_id FROM members WHERE guild_id = ? AND roles @> ARRAY[?::bigint] AND left_at IS NULL ORDER BY user_id")) {
            ps.setLong(1, GUILD);
            ps.setLong(2, role);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    users.add(rs.getLong(1));
                }
            }
        }
        return users;
    }

    @Test
    void entriesGoStraightIntoTheIndexAndItsQueriesAnswerAsBefore() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 1);
             Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            List<Change.Row> rows = new ArrayList<>();
            for (long u = 1; u <= 600; u++) {
                rows.add(member(u));
            }
            assertEquals(600, StateWriter.unnestUpsert(c, Table.MEMBERS, rows));
            c.commit();
            try (Statement st = c.createStatement()) {
                st.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple");
                try (ResultSet rs = st.executeQuery("SELECT pending_pages, pending_tuples FROM pgstatginindex('members_roles')")) {
                    assertTrue(rs.next());
                    assertEquals(0, rs.getLong(1), "pending pages");
                    assertEquals(0, rs.getLong(2), "pending entries: 600 members' roles went into the tree");
                }
            }
            c.commit();
            List<Long> a = new ArrayList<>();
            List<Long> b = new ArrayList<>();
            for (long u = 1; u <= 600; u++) {
                if (u % 2 == 0) {
                    a.add(u);
                }
                if (u % 3 == 0) {
                    b.add(u);
                }
            }
            assertEquals(a, withRole(c, A));
            assertEquals(b, withRole(c, B));

            assertEquals(a.size(), Sweep.ROLE_FROM_MEMBERS.run(c, List.of(A), 0), "A's members lose it");
            c.commit();
            assertEquals(List.of(), withRole(c, A));
            assertEquals(b, withRole(c, B), "B's members keep B");
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT roles::text, data->'roles' FROM members WHERE guild_id = " + GUILD + " AND user_id = 6")) {
                assertTrue(rs.next());
                assertEquals("{" + B + "}", rs.getString(1));
                assertEquals("[\"" + B + "\"]", rs.getString(2), "and out of data");
            }
        }
    }
}
