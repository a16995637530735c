package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.gatehouse.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The steady-state upsert does not rewrite a user whose row would stay the same (every MESSAGE_CREATE carries its
 * author again): no new row version, {@code updated_at} kept. A user that changed is written; rows of a table the sweeps
 * read by {@code updated_at} (members) are written every time, changed or not, so a sweep never marks them gone.
 */
class UnchangedRowsTest {

    private static Change.Row user(long id, String name, String data) {
        return new Change.Row(Table.USERS, Long.toString(id), name, null, "false", null, data);
    }

    private static Change.Row member(long guild, long user) {
        return new Change.Row(Table.MEMBERS, Long.toString(guild), Long.toString(user), "nick", null, "{}", null, "{\"n\":1}");
    }

    /** The row's version and {@code updated_at}, and {@code column}'s value. */
    private static String version(Connection c, String table, String where, String column) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT xmin::text || ' ' || updated_at::text || ' ' || "
                + column + " FROM " + table + " WHERE " + where)) {
            assertEquals(true, rs.next(), table + " row " + where);
            return rs.getString(1);
        }
    }

    @Test
    void anUnchangedUserIsNotRewrittenAChangedOneIs() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 1);
             Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            assertEquals(2, StateWriter.unnestUpsert(c, Table.USERS,
                    List.of(user(1, "ann", "{\"id\":\"1\",\"username\":\"ann\"}"), user(2, "bob", "{\"id\":\"2\"}"))));
            c.commit();
            String ann = version(c, "users", "id = 1", "username");
            String bob = version(c, "users", "id = 2", "username");

            assertEquals(1, StateWriter.unnestUpsert(c, Table.USERS, List.of(
                    user(1, "ann", "{\"username\": \"ann\", \"id\": \"1\"}"), // the same object, other key order and spacing
                    user(2, "bobby", "{\"id\":\"2\"}"))), "only the changed user is written");
            c.commit();
            assertEquals(ann, version(c, "users", "id = 1", "username"), "the unchanged user keeps its row version and updated_at");
            assertNotEquals(bob, version(c, "users", "id = 2", "username"), "the changed user is rewritten");
            assertEquals(true, version(c, "users", "id = 2", "username").endsWith(" bobby"), "with its new name");

            assertEquals(1, StateWriter.unnestUpsert(c, Table.USERS, List.of(user(1, "ann", "{\"id\":\"1\",\"username\":\"ann\",\"x\":1}"))),
                    "a change only inside data is a change");
            c.commit();

            assertEquals(1, StateWriter.unnestUpsert(c, Table.MEMBERS, List.of(member(10, 1))));
            c.commit();
            String m = version(c, "members", "guild_id = 10 AND user_id = 1", "nick");
            assertEquals(1, StateWriter.unnestUpsert(c, Table.MEMBERS, List.of(member(10, 1))),
                    "a member the same as stored is written all the same: the sweeps read its updated_at");
            c.commit();
            assertNotEquals(m, version(c, "members", "guild_id = 10 AND user_id = 1", "nick"));
        }
    }
}
