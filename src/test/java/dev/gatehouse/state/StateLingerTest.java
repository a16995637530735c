package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.lmax.disruptor.EventHandler;
import dev.gatehouse.Fixtures;
import dev.gatehouse.TestPostgres;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.EventRing;
import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.pipeline.Session;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The state writer's linger ({@code state.lingerMs}) through a real ring into a real PostgreSQL, with delivery after the
 * state: a lone event is still stored and delivered when nothing follows it; events that arrive while the writer waits
 * for company share one transaction (fewer transactions than events), the later write of a row wins (order kept), and
 * delivery sees every event once, in order, after it is stored. Counts only: the linger is long (a second) so that a
 * slow machine cannot make the events miss it, and no duration is asserted.
 */
class StateLingerTest {
    private static final Session SESSION = new Session("linger", "ws://127.0.0.1:1", 1, "ws://127.0.0.1:1");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long BASE_ID = 1_300_000_000_000_000_000L;

    /** The captured MESSAGE_CREATE with another message id, content and seq. */
    private static byte[] message(long id, String content, long seq) throws Exception {
        ObjectNode frame = (ObjectNode) JSON.readTree(Fixtures.frames("gateway_message_create.json").get(0));
        frame.put("s", seq);
        ObjectNode d = (ObjectNode) frame.get("d");
        d.put("id", Long.toString(id));
        d.put("content", content);
        return JSON.writeValueAsBytes(frame);
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "timed out waiting for " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void aLoneEventIsStoredAndEventsWithinTheLingerShareATransactionInOrder() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            StateWriter writer = new StateWriter(db.dataSource(), 100, Handled.none());
            List<Long> delivered = Collections.synchronizedList(new ArrayList<>());
            List<Long> storedWhenDelivered = Collections.synchronizedList(new ArrayList<>());
            EventHandler<Dispatch> delivery = (d, s, end) -> {
                delivered.add(d.seq());
                storedWhenDelivered.add(writer.eventsStored());
            };
            EventRing ring = new EventRing(64, writer, delivery, true, List.of(), 1_000, 100);
            try {
                byte[] lone = message(BASE_ID, "lone", 1);
                ring.publish(0, SESSION, 1, "MESSAGE_CREATE", 900000000000000008L, lone, 0, lone.length, System.nanoTime());
                await("the lone event to be stored and delivered", () -> writer.eventsStored() == 1 && delivered.size() == 1);
                assertEquals(1, writer.flushes(), "a lone event: one transaction once the linger ran out");
                assertTrue(ring.stateLingers() >= 1, "the writer lingered for company");

                long flushesBefore = writer.flushes();
                for (int i = 1; i <= 10; i++) {
                    byte[] f = message(BASE_ID + i, "message " + i, 1 + i);
                    ring.publish(0, SESSION, 1 + i, "MESSAGE_CREATE", 900000000000000008L, f, 0, f.length, System.nanoTime());
                }
                byte[] again = message(BASE_ID + 1, "edited", 12); // the same row again: the later write must win
                ring.publish(0, SESSION, 12, "MESSAGE_CREATE", 900000000000000008L, again, 0, again.length, System.nanoTime());
                await("the 11 events to be stored and delivered", () -> writer.eventsStored() == 12 && delivered.size() == 12);
                long transactions = writer.flushes() - flushesBefore;
                assertTrue(transactions < 11, "11 events arriving within the linger share transactions: " + transactions);
                assertEquals(0, writer.eventsRejected());

                List<Long> want = new ArrayList<>();
                for (long s = 1; s <= 12; s++) {
                    want.add(s);
                }
                assertEquals(want, delivered, "delivery saw every event once, in order");
                for (int i = 0; i < 12; i++) {
                    assertTrue(storedWhenDelivered.get(i) >= i + 1, "event " + (i + 1) + " delivered only once stored: "
                            + storedWhenDelivered);
                }
                try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT count(*), max(content) FILTER (WHERE id = " + (BASE_ID + 1)
                             + ") FROM messages")) {
                    rs.next();
                    assertEquals(11, rs.getLong(1), "eleven messages");
                    assertEquals("edited", rs.getString(2), "the later write of the same message won");
                }
            } finally {
                ring.shutdown(10_000);
            }
        }
    }
}
