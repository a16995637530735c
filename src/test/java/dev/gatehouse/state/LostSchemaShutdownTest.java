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
 * schema again cannot bring back: the event is held and no shard identifies anew (every retry once made every shard
 * identify anew, spending the day's identifies) until the migration is applied again; then the shards reload once.
 * And a schema applied anew by another process, which only the database's identity tells ({@link SchemaWatch}).
 */
class LostSchemaShutdownTest {
    private static final Session SESSION = new Session("lost", "ws://127.0.0.1:1", 1, "ws://127.0.0.1:1");

    @Test
    void aSchemaThatCannotBeAppliedAgainIsGivenUpAtShutdown() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            sql(db, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public", "CREATE VIEW guilds AS SELECT 1::bigint AS id"); // the migration's index on guilds fails
            StateWriter writer = new StateWriter(db.dataSource(), 100, Handled.none(), StateListener.NONE, new ApplicationId(0), 10, 20);
            EventRing ring = oneMessage(writer);
            Thread.sleep(1_500); // the writer meets the lost schema and fails to apply it again at least once
            assertEquals(0, writer.eventsStored());
            assertEquals(0, writer.eventsRejected(), "still held while running");
            assertTrue(writer.databaseDown(), "held as for a database that is down: a state journal takes the ring's events");
            stop(writer, ring);
            assertEquals(1, writer.eventsRejected(), "the held event is given up at shutdown, counted");
            assertTrue(writer.eventsStored() == 0);
        }
    }

    @Test
    void aTableMissingWithItsMigrationRecordedHoldsTheEventsUntilItsMigrationIsAppliedAgainThenReloadsOnce() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            sql(db, "DROP TABLE messages");
            StateWriter writer = new StateWriter(db.dataSource(), 100, Handled.none(), StateListener.NONE, new ApplicationId(0), 10, 20);
            AtomicInteger reloads = new AtomicInteger();
            writer.onSchemaLost(reloads::incrementAndGet);
            EventRing ring = oneMessage(writer);
            Thread.sleep(1_500); // dozens of retries at 10-20 ms backoff
            assertEquals(0, reloads.get(), "applying the schema again brings nothing back: identifying anew would not either");
            assertEquals(0, writer.eventsStored());
            assertEquals(0, writer.eventsRejected(), "the event is held while running");
            assertTrue(writer.databaseDown(), "held as for a database that is down: a state journal takes the ring's events");
            sql(db, "DELETE FROM gatehouse_schema WHERE version = 1"); // what the log tells the operator to do
            awaitTrue(() -> writer.eventsStored() >= 1);
            assertTrue(!writer.databaseDown(), "written: no longer waiting");
            assertEquals(1, writer.eventsStored(), "stored once the table was back");
            assertEquals(1, reloads.get(), "the table is back, empty: the shards are reloaded once, not once per retry");
            stop(writer, ring);
            assertEquals(0, writer.eventsRejected());
        }
    }

    /**
     * A column a later migration adds is missing while the write runs (another process, or this one's watch, is applying
     * the migrations one transaction at a time): the event waits for the schema instead of being refused as a bad value.
     */
    @Test
    void aColumnMissingWhileMigrationsAreAppliedHoldsTheEventInsteadOfRefusingIt() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            sql(db, "ALTER TABLE messages DROP COLUMN edited_at");
            StateWriter writer = new StateWriter(db.dataSource(), 100, Handled.none(), StateListener.NONE, new ApplicationId(0), 10, 20);
            EventRing ring = oneMessage(writer);
            Thread.sleep(500);
            assertEquals(0, writer.eventsRejected(), "held, not refused");
            assertEquals(0, writer.eventsStored());
            sql(db, "ALTER TABLE messages ADD COLUMN edited_at timestamptz"); // the migration's turn came
            awaitTrue(() -> writer.eventsStored() >= 1);
            assertEquals(1, writer.eventsStored(), "stored once the column was there");
            assertEquals(0, writer.eventsRejected());
            stop(writer, ring);
        }
    }

    /**
     * PostgreSQL came back empty and another process applied the schema before this writer wrote anything: its writes
     * never fail, so only the database's identity tells it, and the watch reloads its shards once; a check of the
     * same identity again reloads nothing.
     */
    @Test
    void aSchemaAppliedAnewByAnotherProcessReloadsThisOnesShardsOnce() throws Exception {
        String url = TestPostgres.freshDatabase();
        try (Database db = Database.open(url, TestPostgres.server().user(), "", 2)) {
            StateWriter writer = new StateWriter(db.dataSource(), 100, Handled.none(), StateListener.NONE, new ApplicationId(0), 10, 20);
            AtomicInteger reloads = new AtomicInteger();
            writer.onSchemaLost(reloads::incrementAndGet);
            writer.watchSchema(50);
            Thread.sleep(300);
            assertEquals(0, reloads.get(), "the identity it started with");
            sql(db, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public"); // the database emptied
            try (Database other = Database.open(url, TestPostgres.server().user(), "", 1)) { // applies the schema
                assertTrue(!other.identity().isEmpty());
            }
            awaitTrue(() -> reloads.get() >= 1);
            EventRing ring = oneMessage(writer); // written into the new schema: nothing fails, nothing reloads again
            awaitTrue(() -> writer.eventsStored() >= 1);
            Thread.sleep(300); // checks of the same identity again
            assertEquals(1, reloads.get(), "the new identity reloaded the shards once");
            assertEquals(1, writer.eventsStored());
            stop(writer, ring);
        }
    }

    /** The watch of a quiet process applies the schema itself when the identity's table is missing, and reloads once. */
    @Test
    void aQuietProcesssWatchAppliesALostSchemaAndReloadsOnce() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            SchemaWatch watch = new SchemaWatch(db.dataSource());
            AtomicInteger reloads = new AtomicInteger();
            watch.reloadWith(reloads::incrementAndGet);
            sql(db, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public");
            assertTrue(watch.check(), "the schema applied again, and the shards reloaded");
            assertTrue(!watch.check());
            assertEquals(1, reloads.get());
            assertTrue(!db.identity().isEmpty(), "the schema is back");
        }
    }

    private static void sql(Database db, String... statements) throws java.sql.SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        }
    }

    private static void stop(StateWriter writer, EventRing ring) throws InterruptedException {
        writer.stop();
        ring.shutdown(30_000);
        writer.awaitShutdown(30_000);
    }

    /** Waits up to 30 s for {@code done}; the caller asserts what it waited for. */
    private static void awaitTrue(java.util.function.BooleanSupplier done) throws InterruptedException {
        long until = System.nanoTime() + 30_000_000_000L;
        while (!done.getAsBoolean() && System.nanoTime() < until) {
            Thread.sleep(20);
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
