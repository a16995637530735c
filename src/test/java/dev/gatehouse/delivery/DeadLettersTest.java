package dev.gatehouse.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.TestPostgres;
import dev.gatehouse.state.Database;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Dead letters in a real PostgreSQL: each carries the bot's application id, and a bot's pruning deletes only its
 * own rows older than the retention, never another bot's on the same database, never recent ones.
 */
class DeadLettersTest {

    private static Pending event(int shard, long seq) {
        byte[] body = ("{\"shardId\":" + shard + ",\"data\":{\"s\":" + seq + "}}").getBytes(StandardCharsets.UTF_8);
        return new Pending(seq, shard, "session-" + shard, seq, "MESSAGE_CREATE", body, 0, -1, "");
    }

    @Test
    void eachBotKeepsItsOwnDeadLettersForItsRetentionAndPrunesOnlyItsOwn() throws Exception {
        String url = TestPostgres.freshDatabase();
        try (Database db = Database.open(url, TestPostgres.server().user(), "", 2)) {
            DeadLetters first = new DeadLetters(db.dataSource(), 111, 0);
            DeadLetters second = new DeadLetters(db.dataSource(), 222, 0);
            Answer refused = new Answer(Answer.Verdict.REFUSED, 400, "bad event", 0);
            for (long seq = 1; seq <= 4; seq++) {
                first.add(event(0, seq), refused);
                second.add(event(1, seq), refused);
            }
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                // seqs 1 and 2 of each bot were refused 40 days ago, 3 a day ago, 4 now
                st.executeUpdate("UPDATE gatehouse_dead_letter SET refused_at = now() - interval '40 days' WHERE seq <= 2");
                st.executeUpdate("UPDATE gatehouse_dead_letter SET refused_at = now() - interval '1 day' WHERE seq = 3");
            }
            assertEquals(2, new DeadLetters(db.dataSource(), 111, 30).prune(), "bot 111's two rows older than 30 days");
            assertEquals(List.of("111:3", "111:4", "222:1", "222:2", "222:3", "222:4"), rows(db), "bot 222's rows untouched");
            assertEquals(3, new DeadLetters(db.dataSource(), 222, 1).prune(), "a one-day retention: all but the newest");
            assertEquals(List.of("111:3", "111:4", "222:4"), rows(db));
        }
    }

    private static List<String> rows(Database db) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT application_id, seq FROM gatehouse_dead_letter ORDER BY application_id, seq")) {
            while (rs.next()) {
                out.add(rs.getLong(1) + ":" + rs.getLong(2));
            }
        }
        return out;
    }
}
