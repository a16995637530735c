package dev.gatehouse;

import dev.gatehouse.state.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

/** One real PostgreSQL server per test JVM (started on first use), and a fresh database per test. */
public final class TestPostgres {
    private static EmbeddedPostgres server;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private TestPostgres() {
    }

    public static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                Path dir = tempDir("gatehouse-test-pg-");
                EmbeddedPostgres pg = EmbeddedPostgres.start(dir.resolve("data"), 0);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    pg.close();
                    delete(dir);
                }));
                server = pg;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return server;
    }

    /**
     * A directory for a test server's data in the system temp dir (not under target/: when the tests run as
     * root, PostgreSQL runs as nobody, who may not be able to reach the checkout), readable by that user.
     */
    public static Path tempDir(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /** Deletes a tree, best effort. */
    public static void delete(Path dir) {
        try (var tree = Files.walk(dir)) {
            tree.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir: the OS cleans it eventually
        }
    }

    /** Creates a new empty database and returns its JDBC URL. */
    public static String freshDatabase() {
        String name = "test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try {
            server().createDatabase(name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return server().jdbcUrl(name);
    }

    /**
     * A PostgreSQL server of one test class's own, for tests that stop and start it (outages): initdb once per
     * class, a fresh database per test, and {@link #stop()} / {@link #start()} on the same data and port.
     */
    static final class OwnServer implements AutoCloseable {
        private final Path dir;
        private final int port;
        private final AtomicInteger databases = new AtomicInteger();
        private EmbeddedPostgres pg;
        private boolean stopped;

        private OwnServer(Path dir, EmbeddedPostgres pg) {
            this.dir = dir;
            this.pg = pg;
            this.port = pg.port();
        }

        /** Initialises and starts a server in a new temp directory named after {@code prefix}. */
        static OwnServer start(String prefix) throws IOException {
            Path dir = tempDir(prefix);
            return new OwnServer(dir, EmbeddedPostgres.start(dir.resolve("data"), 0));
        }

        /** The running server (a new instance after each {@link #start()}). */
        EmbeddedPostgres pg() {
            return pg;
        }

        /** The outage: the server stops (fast shutdown: every connection is terminated). */
        void stop() {
            stopped = true;
            pg.close();
        }

        /** The server starts again on the same data and port. */
        void start() throws IOException {
            pg = EmbeddedPostgres.start(dir.resolve("data"), port);
            stopped = false;
        }

        /** Starts the server again if a test stopped it and failed before it started it. */
        void startIfStopped() throws IOException {
            if (stopped) {
                start();
            }
        }

        /** A new database named after what the test does; returns its JDBC URL. */
        String freshDatabase(String what) throws SQLException {
            String name = what + "_" + databases.incrementAndGet();
            pg.createDatabase(name);
            return pg.jdbcUrl(name);
        }

        @Override
        public void close() {
            pg.close();
            delete(dir);
        }
    }
}
