package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.lmax.disruptor.EventHandler;
import dev.gatehouse.Fixtures;
import dev.gatehouse.TestPostgres;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.EventRing;
import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.pipeline.Session;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A table dropped by hand while its migration stays recorded: applying the schema again cannot bring it back. The
 * writer reloads the shards once for the outage (as for a database that came back empty), then holds the event and
 * retries with backoff; before, every retry made every shard identify anew, spending the day's identifies.
 */
class MissingTableTest {
    private static final Session SESSION = new Session("gap", "ws://127.0.0.1:1", 1, "ws://127.0.0.1:1");

    @Test
    void aTableMissingWithItsMigrationRecordedReloadsTheShardsOnce() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP TABLE messages");
            }
            StateWriter writer = new StateWriter(db.dataSource(), 100, Handled.none(), StateListener.NONE, new ApplicationId(0), 10, 20);
            AtomicInteger reloads = new AtomicInteger();
            writer.onSchemaLost(reloads::incrementAndGet);
            EventHandler<Dispatch> none = (d, s, end) -> { };
            EventRing ring = new EventRing(64, writer, none, true, List.of(), 0, 1);
            byte[] f = Fixtures.frames("gateway_message_create.json").get(0);
            ring.publish(0, SESSION, 1, "MESSAGE_CREATE", 900000000000000008L, f, 0, f.length, System.nanoTime());
            Thread.sleep(1_500); // dozens of retries at 10-20 ms backoff
            assertEquals(1, reloads.get(), "the shards are reloaded once for the outage, not once per retry");
            assertEquals(0, writer.eventsStored());
            assertEquals(0, writer.eventsRejected(), "the event is held while running");
            writer.stop();
            ring.shutdown(30_000);
            writer.awaitShutdown(30_000);
            assertTrue(writer.eventsRejected() == 1, "given up at shutdown, counted: " + writer.eventsRejected());
        }
    }
}
