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

    /**
     * The migration files of {@code sql/}, one a line, never edited once released. Each file's version is the number
     * in its name ({@code V5__x.sql} is 5), not its place here, so branches that add files merge in any order; they
     * are applied in version order.
     */
    static final String[] MIGRATIONS = {
        "V1__state.sql",
        "V2__sessions.sql",
        "V3__session_gateway.sql",
        "V4__delivery.sql",
        "V5__state_complete.sql",
        "V6__member_changes.sql",
        "V7__application_id.sql",
        "V8__reshard.sql",
        "V10__dead_letter_application.sql",
        "V11__reshard_processes.sql",
        "V14__shard_part_lease_database_id.sql",
        "V15__members_roles_fastupdate_off.sql",
    };

    private static final long MIGRATION_LOCK = 0x6761746568L;
    private static final String CREATE_VERSIONS = """
            CREATE TABLE IF NOT EXISTS gatehouse_schema (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())""";
    private static final String APPLIED = "SELECT 1 FROM gatehouse_schema WHERE version = ?";
    private static final String RECORD = "INSERT INTO gatehouse_schema (version, name) VALUES (?, ?)";

    private static final String IDENTITY = "SELECT id FROM gatehouse_database";

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

    /** A migration file and the version its name carries. */
    record Migration(int version, String file) {
        /** Reads the version of {@code V<n>__<name>.sql}; a file named otherwise is an error naming it. */
        static Migration of(String file) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("V([0-9]{1,9})__[A-Za-z0-9_]+\\.sql").matcher(file);
            if (!m.matches()) {
                throw new IllegalArgumentException("migration file '" + file + "' is not named V<version>__<name>.sql");
            }
            return new Migration(Integer.parseInt(m.group(1)), file);
        }
    }

    /** The migrations in version order; two files of one version are an error naming both. */
    static java.util.List<Migration> migrations() {
        java.util.TreeMap<Integer, Migration> byVersion = new java.util.TreeMap<>();
        for (String f : MIGRATIONS) {
            Migration m = Migration.of(f);
            Migration twin = byVersion.put(m.version(), m);
            if (twin != null) {
                throw new IllegalArgumentException("migrations " + twin.file() + " and " + f + " have the same version " + m.version());
            }
        }
        return java.util.List.copyOf(byVersion.values());
    }

    /**
     * Applies every migration not applied yet, each in its own transaction under the advisory lock (taken again by
     * each transaction), so a failing migration leaves the earlier ones applied and names itself.
     *
     * @return how many migrations it applied (0: the schema was up to date)
     */
    static int migrate(DataSource ds) throws SQLException {
        int done = 0;
        try (Connection conn = ds.getConnection()) {
            conn.setAutoCommit(false);
            try {
                try (Statement st = conn.createStatement()) {
                    st.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
                    st.execute(CREATE_VERSIONS);
                }
                conn.commit();
                for (Migration m : migrations()) {
                    try (Statement st = conn.createStatement()) {
                        st.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
                    }
                    boolean applied;
                    try (PreparedStatement ps = conn.prepareStatement(APPLIED)) {
                        ps.setInt(1, m.version());
                        try (ResultSet rs = ps.executeQuery()) {
                            applied = rs.next();
                        }
                    }
                    if (applied) {
                        conn.commit();
                        continue;
                    }
                    try (Statement st = conn.createStatement()) {
                        st.execute(read(m.file()));
                    } catch (SQLException e) {
                        conn.rollback();
                        throw new SQLException("migration " + m.file() + " failed: " + e.getMessage(), e.getSQLState(), e);
                    }
                    try (PreparedStatement ps = conn.prepareStatement(RECORD)) {
                        ps.setInt(1, m.version());
                        ps.setString(2, m.file());
                        ps.executeUpdate();
                    }
                    conn.commit();
                    done++;
                    LOG.log(System.Logger.Level.INFO, "database: applied migration " + m.file());
                }
            } catch (SQLException | RuntimeException e) {
                try {
                    conn.rollback();
                } catch (SQLException ignored) {
                    // the connection is broken; the pool discards it
                }
                throw e;
            }
        }
        return done;
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

    /**
     * This database's identity (made once with its schema, sql/V14): what a delivery spill records to tell a spill
     * written against another database.
     */
    public String identity() throws SQLException {
        return identity(pool);
    }

    /** The identity of the database behind {@code ds} (see {@link #identity()}). */
    static String identity(DataSource ds) throws SQLException {
        try (java.sql.Connection c = ds.getConnection(); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery(IDENTITY)) {
            if (!rs.next()) {
                throw new SQLException("gatehouse_database has no row: the schema's identity is missing");
            }
            return rs.getString(1);
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
