package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.lmax.disruptor.EventHandler;
import dev.gatehouse.TestPostgres;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.EventRing;
import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.pipeline.Session;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The steady state's statements (branch pg6, issue 12): a flush's multi-statement runs server-prepared generic plans
 * from its first execution, so PostgreSQL neither parses nor plans it again per transaction, and what the tables hold
 * is what the events said. Before, the driver sent a new text unnamed (parsed and planned) for its first four uses and
 * PostgreSQL planned it anew for five more.
 */
class WriterPlansTest {
    private static final Session SESSION = new Session("plans", "ws://127.0.0.1:1", 1, "ws://127.0.0.1:1");
    private static final int EVENTS = 12;

    /** The fixture's MESSAGE_CREATE with its own timestamp. */
    private static byte[] message(long id, String content) {
        return RefusedEventTest.message(id, content, "2026-02-27T23:56:48.287000+00:00");
    }

    @Test
    void eachTransactionRunsTheGenericPlanOfOneServerPreparedStatement() throws Exception {
        // one connection: the statements the writer prepared are those this test reads back
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 1)) {
            StateWriter writer = new StateWriter(db.dataSource(), 100, Handled.none(), StateListener.NONE, new ApplicationId(0), 10, 20);
            EventHandler<Dispatch> none = (d, s, end) -> { };
            EventRing ring = new EventRing(64, writer, none, true, List.of(), 0, 1);
            for (int i = 0; i < EVENTS; i++) { // one transaction each: the next is published once the last is stored
                byte[] f = message(900000000000000800L + i, "m" + i);
                ring.publish(0, SESSION, i + 1, "MESSAGE_CREATE", 900000000000000008L, f, 0, f.length, System.nanoTime());
                long until = System.nanoTime() + 30_000_000_000L;
                while (writer.eventsStored() < i + 1 && System.nanoTime() < until) {
                    Thread.sleep(5);
                }
            }
            assertEquals(EVENTS, writer.eventsStored());
            assertEquals(EVENTS, writer.flushes(), "one transaction per event");
            writer.stop();
            ring.shutdown(10_000);
            writer.awaitShutdown(10_000);

            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                List<String> seen = new ArrayList<>();
                try (ResultSet rs = st.executeQuery("SELECT generic_plans, custom_plans, left(btrim(statement, E' \\n'), 30) FROM pg_prepared_statements"
                        + " WHERE btrim(statement, E' \\n') LIKE 'INSERT INTO messages%'"
                        + " OR btrim(statement, E' \\n') LIKE 'INSERT INTO gatehouse_session%'")) {
                    while (rs.next()) {
                        seen.add(rs.getString(3));
                        assertEquals(0, rs.getLong(2), "custom plans of " + rs.getString(3));
                        assertEquals(EVENTS, rs.getLong(1), "every transaction ran the generic plan of " + rs.getString(3));
                    }
                }
                List<String> all = new ArrayList<>();
                try (ResultSet rs = st.executeQuery("SELECT generic_plans || '/' || custom_plans || ' ' || left(btrim(statement, E' \\n'), 40) FROM pg_prepared_statements")) {
                    while (rs.next()) {
                        all.add(rs.getString(1));
                    }
                }
                assertEquals(2, seen.size(), "the messages' upsert and the progress, each prepared once: " + all);
                try (ResultSet rs = st.executeQuery("SELECT count(*), count(*) FILTER (WHERE content ~ '^m[0-9]+$') FROM messages")) {
                    assertTrue(rs.next());
                    assertEquals(EVENTS, rs.getLong(1));
                    assertEquals(EVENTS, rs.getLong(2), "each message with its content");
                }
                try (ResultSet rs = st.executeQuery("SELECT current_setting('plan_cache_mode')")) {
                    assertTrue(rs.next());
                    assertEquals("auto", rs.getString(1), "the writer's setting stays in its transactions");
                }
            }
        }
    }
}
