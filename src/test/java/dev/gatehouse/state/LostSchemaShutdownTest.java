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
 * A database that lost the schema and on which the schema cannot be applied again (a view stands where the first table
 * goes, so the migration fails every time): the writer keeps the event and retries while running, and at shutdown gives
 * it up, counted and logged, instead of trying again forever (the ring's consumer then never finished, and the
 * shutdown never saved anything). And a table dropped by hand while its migration stays recorded, which applying the
 * schema again cannot bring back: the shards are reloaded once for the outage, not once per retry (every retry made
 * every shard identify anew, spending the day's identifies), and the event is held.
 */
class LostSchemaShutdownTest {
    private static final Session SESSION = new Session("lost", "ws://127.0.0.1:1", 1, "ws://127.0.0.1:1");

    @Test
    void aSchemaThatCannotBeAppliedAgainIsGivenUpAtShutdown() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA public CASCADE");
                st.execute("CREATE SCHEMA public");
                st.execute("CREATE VIEW guilds AS SELECT 1::bigint AS id"); // the migration's index on guilds fails
            }
            StateWriter writer = new StateWriter(db.dataSource(), 100, Handled.none(), StateListener.NONE, new ApplicationId(0), 10, 20);
            EventRing ring = oneMessage(writer);
            Thread.sleep(1_500); // the writer meets the lost schema and fails to apply it again at least once
            assertEquals(0, writer.eventsStored());
            assertEquals(0, writer.eventsRejected(), "still held while running");
            writer.stop();
            ring.shutdown(30_000);
            writer.awaitShutdown(30_000);
            assertEquals(1, writer.eventsRejected(), "the held event is given up at shutdown, counted");
            assertTrue(writer.eventsStored() == 0);
        }
    }

    @Test
    void aTableMissingWithItsMigrationRecordedReloadsTheShardsOnce() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP TABLE messages");
            }
            StateWriter writer = new StateWriter(db.dataSource(), 100, Handled.none(), StateListener.NONE, new ApplicationId(0), 10, 20);
            AtomicInteger reloads = new AtomicInteger();
            writer.onSchemaLost(reloads::incrementAndGet);
            EventRing ring = oneMessage(writer);
            Thread.sleep(1_500); // dozens of retries at 10-20 ms backoff
            assertEquals(1, reloads.get(), "the shards are reloaded once for the outage, not once per retry");
            assertEquals(0, writer.eventsStored());
            assertEquals(0, writer.eventsRejected(), "the event is held while running");
            writer.stop();
            ring.shutdown(30_000);
            writer.awaitShutdown(30_000);
            assertEquals(1, writer.eventsRejected(), "given up at shutdown, counted");
        }
    }

    /** A ring feeding {@code writer}, with one MESSAGE_CREATE published. */
    private static EventRing oneMessage(StateWriter writer) {
        EventHandler<Dispatch> none = (d, s, end) -> { };
        EventRing ring = new EventRing(64, writer, none, true, List.of(), 0, 1);
        byte[] f = Fixtures.frames("gateway_message_create.json").get(0);
        ring.publish(0, SESSION, 1, "MESSAGE_CREATE", 900000000000000008L, f, 0, f.length, System.nanoTime());
        return ring;
    }
}
