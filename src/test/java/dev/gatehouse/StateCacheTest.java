package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.state.Database;
import dev.gatehouse.state.StateCache;
import dev.gatehouse.state.StateListener.Changed;
import dev.gatehouse.state.StateReads;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The read cache against a real PostgreSQL: entries that embed a user (a member's user, a message's author) are
 * dropped when that user changes, a sweep drops only its guild's members, absent rows are cached as absent and
 * dropped when the row arrives. The commits are told to the cache as the state writer tells them.
 */
class StateCacheTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void changedRowsAndTheUsersTheyEmbedAreDroppedAfterTheirCommit() throws Exception {
        ExecutorService loads = Executors.newFixedThreadPool(2);
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2);
             Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            StateReads reads = new StateReads(db.dataSource());
            StateCache cache = new StateCache(reads, 1000, loads);
            st.execute("INSERT INTO users (id, username, data) VALUES (11, 'ann', '{\"id\":\"11\",\"username\":\"ann\"}')");
            st.execute("INSERT INTO members (guild_id, user_id, data) VALUES (1, 11, '{\"nick\":null}'), (2, 11, '{\"nick\":\"a\"}')");
            st.execute("INSERT INTO messages (id, channel_id, guild_id, author_id, content, data)"
                    + " VALUES (500, 7, 1, 11, 'hi', '{\"id\":\"500\",\"content\":\"hi\"}')");
            assertEquals("ann", username(cache.member(1, 11).get().orElseThrow()));
            assertEquals("ann", JSON.readTree(cache.message(500).get().orElseThrow()).path("data").path("author").path("username").asText());
            assertTrue(cache.member(3, 11).get().isEmpty(), "absent");
            long queries = reads.queries("member");

            st.execute("UPDATE users SET data = '{\"id\":\"11\",\"username\":\"bea\"}' WHERE id = 11");
            assertEquals("ann", username(cache.member(1, 11).get().orElseThrow()), "cached until the commit is told");
            cache.committed(List.of(new Changed("users", 11, 0, false)));
            assertEquals("bea", username(cache.member(1, 11).get().orElseThrow()));
            assertEquals("bea", username(cache.member(2, 11).get().orElseThrow()));
            assertEquals("bea", JSON.readTree(cache.message(500).get().orElseThrow()).path("data").path("author").path("username").asText());
            assertEquals(queries + 2, reads.queries("member"), "both members of the user read again");

            st.execute("INSERT INTO members (guild_id, user_id, data) VALUES (3, 11, '{\"nick\":\"c\"}')");
            cache.committed(List.of(new Changed("members", 3, 11, false)));
            assertEquals("bea", username(cache.member(3, 11).get().orElseThrow()), "the absent entry was dropped");

            st.execute("UPDATE members SET left_at = now() WHERE guild_id = 1");
            long before = reads.queries("member");
            cache.committed(List.of(new Changed("members", 1, 0, true)));
            assertTrue(!JSON.readTree(cache.member(1, 11).get().orElseThrow()).path("left_at").isNull(), "swept");
            cache.member(2, 11).get();
            assertEquals(before + 1, reads.queries("member"), "the sweep of guild 1 kept guild 2's member");
        } finally {
            loads.shutdownNow();
        }
    }

    static String username(String json) throws Exception {
        return JSON.readTree(json).path("data").path("user").path("username").asText();
    }
}
