package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.state.ApplicationId;
import dev.gatehouse.state.Database;
import dev.gatehouse.state.ReshardRuns;
import dev.gatehouse.state.ShardSets;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The processes splitting a bot's shards meet in PostgreSQL: a switch that could not be recorded is recorded later. */
class ReshardPeersTest {
    private static final ApplicationId BOT = new ApplicationId(9);

    /** The real pool, refusing connections while {@link #down} (a database blip, as seen by JDBC). */
    private static final class Blinking implements DataSource {
        private final DataSource real;
        volatile boolean down;

        Blinking(DataSource real) {
            this.real = real;
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (down) {
                throw new SQLException("connection refused (the test's database blip)", "08001");
            }
            return real.getConnection();
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return real.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            real.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            real.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return real.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            return real.unwrap(type);
        }

        @Override
        public boolean isWrapperFor(Class<?> type) throws SQLException {
            return real.isWrapperFor(type);
        }
    }

    @Test
    void aSwitchThatCouldNotBeRecordedIsRecordedOnceTheDatabaseAnswers() throws Exception {
        try (Database db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2)) {
            ShardSets low = new ShardSets(db.dataSource(), BOT, new ShardSets.Part(2, 0, 0));
            ShardSets high = new ShardSets(db.dataSource(), BOT, new ShardSets.Part(2, 1, 1));
            low.record(2, 2, ReshardPeers.PART_LEASE_MS);
            high.record(2, 2, ReshardPeers.PART_LEASE_MS);
            Blinking blinking = new Blinking(db.dataSource());
            ReshardPeers leader = new ReshardPeers(new ReshardRuns(blinking, BOT, 2), low, "low");
            assertEquals(4, leader.lead(2, 4));
            high.switchTo(4, List.of()); // the follower switched first
            low.switchTo(4, List.of()); // the leader's switch commits, the last part
            blinking.down = true;
            assertThrows(SQLException.class, leader::switched, "recording the switch meets the blip");
            ReshardRuns runs = new ReshardRuns(db.dataSource(), BOT, 2);
            assertTrue(runs.open().isPresent(), "still open");
            blinking.down = false;
            long until = System.nanoTime() + 60_000_000_000L;
            while (runs.open().isPresent() && System.nanoTime() < until) {
                leader.follow(4); // the control thread's poll
                Thread.sleep(100);
            }
            assertFalse(runs.open().isPresent(), "the switch is recorded again once the database answers: the reshard closes");
        }
    }
}
