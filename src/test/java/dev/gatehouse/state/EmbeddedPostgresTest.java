package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EmbeddedPostgresTest {

    private static Path base;

    @BeforeAll
    static void createBase() throws IOException {
        // the system temp dir: traversable by the server's user wherever the checkout lives
        base = Files.createTempDirectory("gatehouse-embedded-postgres-");
        // createTempDirectory makes it private (0700); the server may run as another user (nobody, when root).
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterAll
    static void deleteBase() throws IOException {
        try (Stream<Path> tree = Files.walk(base)) {
            for (Path p : (Iterable<Path>) tree.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void keepsDataAcrossRestarts() throws Exception {
        Path dataDir = base.resolve("cluster");
        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir, 0)) {
            assertTrue(pg.port() > 0);
            assertEquals("postgres", pg.user());
            assertEquals("jdbc:postgresql://127.0.0.1:" + pg.port() + "/gatehouse", pg.jdbcUrl("gatehouse"));

            pg.createDatabase("gatehouse");
            pg.createDatabase("gatehouse"); // already there: nothing happens
            try (Connection c = connect(pg, "gatehouse"); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE guild (id bigint PRIMARY KEY, name text NOT NULL)");
                s.execute("INSERT INTO guild VALUES (42, 'Café ☕')");
                assertEquals("127.0.0.1", single(s, "SHOW listen_addresses"));
                assertEquals("", single(s, "SHOW unix_socket_directories"));
                assertEquals("200", single(s, "SHOW max_connections"));
                assertEquals("128MB", single(s, "SHOW shared_buffers"));
                assertEquals("on", single(s, "SHOW fsync"));
                assertEquals("UTF8", single(s, "SHOW server_encoding"));
                assertEquals("C", single(s, "SELECT datcollate FROM pg_database WHERE datname = 'gatehouse'"));
            }

            pg.close();
            pg.close(); // idempotent
            assertThrows(SQLException.class, () -> connect(pg, "postgres").close());
        } // and a third close from try-with-resources

        assertTrue(Files.exists(dataDir.resolve("PG_VERSION")));
        assertTrue(Files.size(dataDir.resolve("server.log")) > 0);
        assertFalse(Files.exists(dataDir.resolve("postmaster.pid")));

        try (EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir, 0)) {
            pg.createDatabase("gatehouse");
            try (Connection c = connect(pg, "gatehouse"); Statement s = c.createStatement()) {
                assertEquals("Café ☕", single(s, "SELECT name FROM guild WHERE id = 42"));
                assertTrue(single(s, "SELECT version()").contains("PostgreSQL 17"));
            }
        }
    }

    @Test
    void takesOverAServerLeftRunningOnTheSameDataDirectory() throws Exception {
        Path dataDir = base.resolve("leftover");
        int fixedPort = dev.gatehouse.TestPorts.free();
        // The first server is never closed before the second start, as when the JVM was killed with SIGKILL.
        EmbeddedPostgres abandoned = EmbeddedPostgres.start(dataDir, 0);
        try (abandoned; EmbeddedPostgres pg = EmbeddedPostgres.start(dataDir, fixedPort)) {
            assertEquals(fixedPort, pg.port());
            assertThrows(SQLException.class, () -> connect(abandoned, "postgres").close());

            abandoned.close(); // must not stop the server that replaced it
            try (Connection c = connect(pg, "postgres"); Statement s = c.createStatement()) {
                assertEquals("1", single(s, "SELECT 1"));
            }
        }
    }

    @Test
    void explainsAnUnsearchableParentWhenRunningAsRoot() throws Exception {
        assumeTrue(((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0,
                "only root switches to another user");
        Path hidden = Files.createDirectories(base.resolve("hidden"));
        Files.setPosixFilePermissions(hidden, PosixFilePermissions.fromString("rwx------"));
        IOException e = assertThrows(IOException.class,
                () -> EmbeddedPostgres.start(hidden.resolve("cluster"), 0).close());
        assertTrue(e.getMessage().contains(hidden.toString()), e.getMessage());
        assertFalse(Files.exists(hidden.resolve("cluster")));
    }

    private static Connection connect(EmbeddedPostgres pg, String database) throws SQLException {
        return DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), "");
    }

    private static String single(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }
}
