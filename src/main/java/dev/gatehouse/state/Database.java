package dev.gatehouse.state;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The pool of connections to the state database, and the schema migrations applied when it opens. Migrations
 * are the files of {@code sql/} in version order, each applied once, in its own transaction, under an
 * advisory lock so that several Gatehouse processes sharing a database migrate it once.
 */
public final class Database implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Database.class.getName());

    /** The migration files, oldest first. A new file is added at the end, never edited once released. */
    static final String[] MIGRATIONS = {"V1__state.sql", "V2__sessions.sql", "V3__session_gateway.sql", "V4__delivery.sql",
            "V8__reshard.sql"};

    private static final long MIGRATION_LOCK = 0x6761746568L;
    private static final String CREATE_VERSIONS = """
            CREATE TABLE IF NOT EXISTS gatehouse_schema (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())""";
    private static final String APPLIED = "SELECT 1 FROM gatehouse_schema WHERE version = ?";
    private static final String RECORD = "INSERT INTO gatehouse_schema (version, name) VALUES (?, ?)";

    private final HikariDataSource pool;

    private Database(HikariDataSource pool) {
        this.pool = pool;
    }

    /**
     * Opens the pool and migrates the schema.
     *
     * @throws SQLException when the database cannot be reached or a migration fails (message names which)
     */
    public static Database open(String jdbcUrl, String user, String password, int poolSize) throws SQLException {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(jdbcUrl);
        c.setUsername(user);
        if (!password.isEmpty()) {
            c.setPassword(password);
        }
        c.setMaximumPoolSize(poolSize);
        c.setPoolName("gatehouse-db");
        c.setConnectionTimeout(10_000);
        c.setInitializationFailTimeout(-1);
        c.addDataSourceProperty("reWriteBatchedInserts", "true");
        c.addDataSourceProperty("ApplicationName", "gatehouse");
        HikariDataSource pool = new HikariDataSource(c);
        try {
            migrate(pool);
        } catch (SQLException | RuntimeException e) {
            pool.close();
            throw e;
        }
        return new Database(pool);
    }

    private static void migrate(DataSource ds) throws SQLException {
        try (Connection conn = ds.getConnection()) {
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                st.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
                st.execute(CREATE_VERSIONS);
            }
            for (int i = 0; i < MIGRATIONS.length; i++) {
                int version = i + 1;
                try (PreparedStatement ps = conn.prepareStatement(APPLIED)) {
                    ps.setInt(1, version);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            continue;
                        }
                    }
                }
                try (Statement st = conn.createStatement()) {
                    st.execute(read(MIGRATIONS[i]));
                } catch (SQLException e) {
                    conn.rollback();
                    throw new SQLException("migration " + MIGRATIONS[i] + " failed: " + e.getMessage(), e.getSQLState(), e);
                }
                try (PreparedStatement ps = conn.prepareStatement(RECORD)) {
                    ps.setInt(1, version);
                    ps.setString(2, MIGRATIONS[i]);
                    ps.executeUpdate();
                }
                LOG.log(System.Logger.Level.INFO, "database: applied migration " + MIGRATIONS[i]);
            }
            conn.commit();
        }
    }

    private static String read(String name) throws SQLException {
        try (InputStream in = Database.class.getResourceAsStream("/sql/" + name)) {
            if (in == null) {
                throw new SQLException("migration sql/" + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SQLException("cannot read migration sql/" + name + ": " + e.getMessage(), e);
        }
    }

    /** The pool; callers close what they borrow. */
    public DataSource dataSource() {
        return pool;
    }

    @Override
    public void close() {
        pool.close();
    }
}
