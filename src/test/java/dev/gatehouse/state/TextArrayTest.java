package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;

/** What PostgreSQL reads from a {@link TextArray}, in its binary form and in its text form, is the array it was made of. */
class TextArrayTest {
    private static final String[] VALUES = {"plain", null, "", "quote\"s", "back\\slash", "{braces,comma}", "NULL", "Café ☕ 日本",
        "tab\tnew\nline", " spaced ", "{\"id\":\"1\",\"nested\":[1,{\"a\":null}]}"};

    @Test
    void postgresReadsTheSameArrayFromBothForms() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 1);
             Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT ?::text[], cardinality(?::text[]), array_position(?::text[], NULL)")) {
            TextArray a = new TextArray(VALUES);
            ps.setObject(1, a);
            ps.setObject(2, a);
            ps.setString(3, a.getValue()); // the text form, as the driver sends it without binary transfer
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertArrayEquals(VALUES, (String[]) rs.getArray(1).getArray(), "the binary form");
                assertEquals(VALUES.length, rs.getInt(2));
                assertEquals(2, rs.getInt(3), "the text form: NULL is an SQL null, \"NULL\" a string");
            }
            try (PreparedStatement text = c.prepareStatement("SELECT ?::text[]")) {
                text.setString(1, a.getValue());
                try (ResultSet rs = text.executeQuery()) {
                    rs.next();
                    assertArrayEquals(VALUES, (String[]) rs.getArray(1).getArray(), "the text form");
                }
            }
        }
    }
}
