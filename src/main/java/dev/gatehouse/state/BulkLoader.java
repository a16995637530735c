package dev.gatehouse.state;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Writes a large batch of one table through COPY: the rows go as COPY text into a staging table that lives for
 * the transaction ({@link Table#stage}), then one statement merges the staging table into the table with the
 * same rules as the steady-state upsert ({@link Table#merge}). A burst of GUILD_CREATEs (hundreds of thousands of
 * members) is where this pays; small batches keep the one-statement {@code unnest} upsert, which costs less
 * than creating a staging table.
 */
final class BulkLoader {
    /**
     * Rows of one table in one flush from which COPY is used. Below it the unnest upsert costs less: a staging table
     * is created on each connection's first bulk load (about 100 ms while the catalog caches are cold), which
     * delayed small loads (a test reading a member right after 20 guilds arrived found it not stored yet).
     */
    static final int MIN_ROWS = 2000;
    /** COPY data is sent in pieces of about this many characters, so a flush never holds its whole text. */
    private static final int PIECE_CHARS = 1 << 18;

    private BulkLoader() {
    }

    /**
     * Memory for the merge's sorts and the change-log trigger's transition tables (the rows of a whole flush): at the
     * default 4 MB they spill to disk in every flush of members.
     */
    static final String WORK_MEM = "SET LOCAL work_mem = '64MB'";

    /** Stages and merges {@code rows} of {@code t} on {@code conn}, inside the caller's transaction. */
    static int load(Connection conn, Table t, Collection<Change.Row> rows) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute(WORK_MEM);
            st.execute(t.stage);
        }
        CopyIn in = conn.unwrap(PGConnection.class).getCopyAPI().copyIn(t.copy);
        try {
            StringBuilder text = new StringBuilder(PIECE_CHARS + 8192);
            int width = t.width();
            for (Change.Row r : rows) {
                for (int c = 0; c < width; c++) {
                    if (c > 0) {
                        text.append('\t');
                    }
                    field(text, r.values[c]);
                }
                if (t.goneColumn != null) {
                    text.append('\t').append(r.gone ? 't' : 'f');
                }
                text.append('\n');
                if (text.length() >= PIECE_CHARS) {
                    send(in, text);
                }
            }
            send(in, text);
            in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
        try (Statement st = conn.createStatement()) {
            return st.executeUpdate(t.merge);
        }
    }

    private static void send(CopyIn in, StringBuilder text) throws SQLException {
        if (!text.isEmpty()) {
            byte[] b = text.toString().getBytes(StandardCharsets.UTF_8);
            in.writeToCopy(b, 0, b.length);
            text.setLength(0);
        }
    }

    /** One value in COPY's text format: {@code \N} for null, backslash, tab, newline and return escaped. */
    static void field(StringBuilder out, String v) {
        if (v == null) {
            out.append("\\N");
            return;
        }
        int plain = 0;
        while (plain < v.length()) {
            char ch = v.charAt(plain);
            if (ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r') {
                break;
            }
            plain++;
        }
        out.append(v, 0, plain);
        for (int i = plain; i < v.length(); i++) {
            char ch = v.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(ch);
            }
        }
    }
}
