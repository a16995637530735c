package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.lmax.disruptor.EventHandler;
import dev.gatehouse.Fixtures;
import dev.gatehouse.TestPostgres;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.EventRing;
import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.pipeline.Session;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL refuses one event of a batch in which an earlier event wrote the same row: the batch is written again
 * event by event, and exactly the refused event is set aside. Before, the batch's folding had written the later
 * event's values into the earlier event's row, so the one-by-one pass refused both and lost the good one.
 */
class RefusedEventTest {
    private static final Session SESSION = new Session("refused", "ws://127.0.0.1:1", 1, "ws://127.0.0.1:1");
    private static final long X = 900000000000000701L;
    private static final long Y = 900000000000000702L;

    static byte[] message(long id, String content, String timestamp) {
        String f = new String(Fixtures.frames("gateway_message_create.json").get(0), StandardCharsets.UTF_8);
        return f.replace("900000000000000087", Long.toString(id)).replace("\"content_2\"", "\"" + content + "\"")
                .replace("2026-02-27T23:56:48.287000+00:00", timestamp).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void onlyTheRefusedEventOfABatchIsSetAside() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            StateWriter writer = new StateWriter(db.dataSource(), 100, Handled.none(), StateListener.NONE, new ApplicationId(0), 10, 20);
            EventHandler<Dispatch> none = (d, s, end) -> { };
            // a long linger for three events: the three go to the writer as one batch, one transaction
            EventRing ring = new EventRing(64, writer, none, true, List.of(), 2_000, 3);
            List<byte[]> frames = List.of(message(X, "good", "2026-02-27T23:56:48.287000+00:00"),
                    message(X, "bad", "garbage"), message(Y, "other", "2026-02-27T23:57:00.000000+00:00"));
            for (int i = 0; i < frames.size(); i++) {
                byte[] f = frames.get(i);
                ring.publish(0, SESSION, i + 1, "MESSAGE_CREATE", 900000000000000008L, f, 0, f.length, System.nanoTime());
            }
            long until = System.nanoTime() + 30_000_000_000L;
            while (writer.eventsStored() + writer.eventsRejected() < 3 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertEquals(1, writer.eventsRejected(), "only the event PostgreSQL refused is set aside");
            Map<Long, String> stored = new TreeMap<>();
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT id, content FROM messages")) {
                while (rs.next()) {
                    stored.put(rs.getLong(1), rs.getString(2));
                }
            }
            assertEquals(Map.of(X, "good", Y, "other"), stored, "the good event's row, not the refused one's");
            writer.stop();
            ring.shutdown(10_000);
            writer.awaitShutdown(10_000);
        }
    }
}
