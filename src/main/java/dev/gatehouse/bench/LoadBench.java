package dev.gatehouse.bench;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.state.Database;
import dev.gatehouse.state.EmbeddedPostgres;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * The initial-load benchmark ({@code ./run.sh bench load}): one shard's READY and GUILD_CREATE burst from the
 * simulator (its own JVM, {@link LoadSimulator}, the burst rendered before READY) through Gatehouse (this JVM) into
 * a fresh embedded PostgreSQL, timed from READY until every GUILD_CREATE is stored; then a raw COPY of the very rows
 * stored into the same tables of an empty database on the same server, the ceiling. Prints both rates, their
 * ratio, and the CPU of each process during the window. Options: {@code --guilds=2500 --averageMembers=100
 * --maxMembers=4500}, and any Gatehouse key as {@code --key=value}.
 */
public final class LoadBench {
    /** The tables the load fills, in the order the raw COPY writes them. */
    private static final List<String> TABLES = List.of("users", "guilds", "channels", "roles", "members", "presences",
            "voice_states", "emojis", "stickers", "thread_members", "stage_instances", "scheduled_events");

    private LoadBench() {
    }

    /** CPU seconds so far of each live Java thread of this JVM, by thread id. */
    private static Map<Long, Long> cpuNanosByThread() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, Long> by = new java.util.HashMap<>();
        for (long id : mx.getAllThreadIds()) {
            long ns = mx.getThreadCpuTime(id);
            if (ns >= 0) {
                by.put(id, ns);
            }
        }
        return by;
    }

    /**
     * CPU seconds in the window of this JVM's Java threads alive at its end, summed by name with digits dropped, the
     * busiest first (a thread that started inside the window counts from zero). It once printed the threads' CPU since
     * the JVM started, which put the bench's own start-up (main) among the load's threads.
     */
    private static Map<String, Double> cpuByThreadSince(Map<Long, Long> before) {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, Double> by = new java.util.TreeMap<>();
        for (Map.Entry<Long, Long> e : cpuNanosByThread().entrySet()) {
            java.lang.management.ThreadInfo t = mx.getThreadInfo(e.getKey());
            if (t != null) {
                by.merge(t.getThreadName().replaceAll("[0-9]+", "N"), (e.getValue() - before.getOrDefault(e.getKey(), 0L)) / 1e9,
                        Double::sum);
            }
        }
        return top(by);
    }

    /**
     * CPU seconds in the window of the JVM's own threads (the JIT's C1 and C2 compiler threads, the collector's workers,
     * concurrent and refinement threads, the VM thread), by the kernel's name with digits dropped: which compiler and
     * which part of the collector the window's "jit" and "gc" are.
     */
    private static Map<String, Double> vmThreadsSince(Map<Long, ProcessMeter.ThreadCpu> before) {
        return top(threadsSince(before, name -> ProcessMeter.threadKind(name).equals("other") ? null : name.replaceAll("#[0-9]+", "#N")));
    }

    /**
     * CPU seconds in the window of this JVM's threads as /proc sees them, per thread (one that ended inside the window
     * takes only its own CPU with it), summed by {@code group} of the kernel's name (null: left out).
     */
    private static Map<String, Double> threadsSince(Map<Long, ProcessMeter.ThreadCpu> before,
                                                    java.util.function.Function<String, String> group) {
        Map<String, Double> by = new java.util.TreeMap<>();
        for (Map.Entry<Long, ProcessMeter.ThreadCpu> e : ProcessMeter.cpuByThread(ProcessHandle.current().pid(), Map.of()).entrySet()) {
            String g = group.apply(e.getValue().name());
            if (g != null) {
                ProcessMeter.ThreadCpu was = before.get(e.getKey());
                by.merge(g, e.getValue().seconds() - (was == null ? 0 : was.seconds()), Double::sum);
            }
        }
        return by;
    }

    /** The ten largest, the largest first, to a tenth. */
    private static Map<String, Double> top(Map<String, Double> by) {
        Map<String, Double> top = new LinkedHashMap<>();
        by.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(10)
                .forEach(e -> top.put(e.getKey(), Math.round(e.getValue() * 10) / 10.0));
        return top;
    }

    /** Bytes each live thread of this JVM has allocated so far, by thread id (HotSpot's count; -1 where unsupported). */
    private static Map<Long, Long> allocatedByThread() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = mx.getAllThreadIds();
        long[] bytes = mx.getThreadAllocatedBytes(ids);
        Map<Long, Long> by = new java.util.HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            by.put(ids[i], bytes[i]);
        }
        return by;
    }

    /**
     * Bytes allocated in the window by the threads alive at its end, summed by name with digits dropped (a thread that
     * started inside the window counts from zero, one that ended inside it is missing), the largest first, in MB.
     */
    private static Map<String, Long> allocatedSince(Map<Long, Long> before) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Map<String, Long> by = new java.util.TreeMap<>();
        for (Map.Entry<Long, Long> e : allocatedByThread().entrySet()) {
            java.lang.management.ThreadInfo t = mx.getThreadInfo(e.getKey());
            if (t != null && e.getValue() >= 0) {
                by.merge(t.getThreadName().replaceAll("[0-9]+", "N"), e.getValue() - before.getOrDefault(e.getKey(), 0L), Long::sum);
            }
        }
        Map<String, Long> top = new LinkedHashMap<>();
        top.put("all", by.values().stream().mapToLong(Long::longValue).sum() / 1_000_000);
        by.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6)
                .forEach(e -> top.put(e.getKey(), e.getValue() / 1_000_000));
        return top;
    }

    /** The largest heap left after any collection while watching: what the load holds plus old garbage not collected yet. */
    private static final class HeapAfterGc implements javax.management.NotificationListener {
        private volatile boolean watching;
        private final java.util.concurrent.atomic.AtomicLong max = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.Set<String> heapPools = new java.util.HashSet<>();

        HeapAfterGc() {
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) {
                    heapPools.add(p.getName());
                }
            }
        }

        void watch() {
            watching = true;
            for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                ((javax.management.NotificationEmitter) gc).addNotificationListener(this, null, null);
            }
        }

        void stop() {
            watching = false;
        }

        long max() {
            return max.get();
        }

        @Override
        public void handleNotification(javax.management.Notification n, Object handback) {
            if (!watching || !com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                return;
            }
            var info = com.sun.management.GarbageCollectionNotificationInfo.from((javax.management.openmbean.CompositeData) n.getUserData());
            long used = 0;
            for (Map.Entry<String, java.lang.management.MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                if (heapPools.contains(e.getKey())) {
                    used += e.getValue().getUsed();
                }
            }
            max.accumulateAndGet(used, Math::max);
        }
    }

    private static final int STAGING_ROUNDS = 3;

    /**
     * PostgreSQL's side of a staging load in each COPY format: the same rows (as the server itself wrote them) into
     * temporary tables like the state tables without their indexes, text and binary in turn; returns the best wall
     * seconds of text and of binary, then their sizes in bytes.
     */
    private static double[] stagingFormats(String jdbc, String user, Map<String, byte[]> text, Map<String, byte[]> binary)
            throws Exception {
        double bestText = Double.MAX_VALUE, bestBinary = Double.MAX_VALUE;
        try (Connection c = DriverManager.getConnection(jdbc, user, "")) {
            c.setAutoCommit(false);
            CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
            try (Statement st = c.createStatement()) {
                for (String t : TABLES) {
                    st.execute("CREATE TEMP TABLE staged_" + t + " (LIKE " + t + ") ON COMMIT DELETE ROWS");
                }
            }
            c.commit();
            for (int round = 0; round < 2 * STAGING_ROUNDS; round++) {
                boolean bin = round % 2 == 1;
                long t0 = System.nanoTime();
                for (String t : TABLES) {
                    cm.copyIn("COPY staged_" + t + " FROM STDIN" + (bin ? " (FORMAT binary)" : ""),
                            new ByteArrayInputStream((bin ? binary : text).get(t)));
                }
                c.commit();
                double s = (System.nanoTime() - t0) / 1e9;
                if (bin) {
                    bestBinary = Math.min(bestBinary, s);
                } else {
                    bestText = Math.min(bestText, s);
                }
            }
        }
        return new double[] {bestText, bestBinary, text.values().stream().mapToLong(b -> b.length).sum(),
                binary.values().stream().mapToLong(b -> b.length).sum()};
    }

    public static int run(List<String> args) throws Exception {
        int guilds = 2500, average = 100, maxMembers = 4500;
        List<String> gatehouseArgs = new ArrayList<>();
        for (String a : args) {
            String[] kv = a.startsWith("--") && a.contains("=") ? a.substring(2).split("=", 2) : new String[] {a, ""};
            switch (kv[0]) {
                case "guilds" -> guilds = Integer.parseInt(kv[1]);
                case "averageMembers" -> average = Integer.parseInt(kv[1]);
                case "maxMembers" -> maxMembers = Integer.parseInt(kv[1]);
                default -> gatehouseArgs.add(a);
            }
        }
        Path data = Files.createTempDirectory("gatehouse-load-bench-");
        data.toFile().setExecutable(true, false);
        data.toFile().setReadable(true, false);
        Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
        String secret = "bench-secret";
        try (PeerProcess sim = new PeerProcess("simulator", new ProcessBuilder(java.toString(), "-Xmx3g", "-cp",
                     System.getProperty("java.class.path"), LoadSimulator.class.getName(), Integer.toString(guilds),
                     Integer.toString(maxMembers), Integer.toString(average), "bench-token", secret));
             EmbeddedPostgres pg = EmbeddedPostgres.start(data.resolve("postgres"), 0)) {
            Map<String, String> urls = sim.await("ready", 300);
            String restUrl = urls.get("rest");
            pg.createDatabase("gatehouse");
            pg.createDatabase("baseline");
            String jdbc = pg.jdbcUrl("gatehouse");
            List<String> settings = new ArrayList<>(List.of("--config=" + Files.createTempFile(data, "empty", ".properties"),
                    "--discord.token=bench-token", "--rest.url=" + restUrl, "--eventHandler.url=" + urls.get("bot"),
                    "--eventHandler.secret=" + secret, "--db.url=" + jdbc, "--db.user=" + pg.user(),
                    "--status.intervalSeconds=0", "--totalShards=1"));
            settings.addAll(gatehouseArgs);
            Gatehouse g = Gatehouse.start(ConfigLoader.load(settings, Map.of()));
            long peakHeap = 0;
            long heldAfter;
            HeapAfterGc afterGc = new HeapAfterGc();
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0;
            double cpuSeconds;
            double simCpu0;
            double simCpu;
            double pgCpu0;
            double pgCpu;
            Map<String, Double> threadCpu;
            Map<Long, Long> threadCpu0;
            Map<Long, ProcessMeter.ThreadCpu> vm0;
            Map<String, Double> vmCpu;
            Map<Long, Long> alloc0;
            Map<String, Long> allocated;
            Map<String, Double> kindCpu;
            long flushes;
            Map<String, Double> statements;
            double loadSeconds;
            double deliveredSeconds;
            double firstDelivered;
            try {
                while (g.shards().statuses().stream().noneMatch(s -> s.ready())) {
                    Thread.sleep(5);
                }
                long t0 = System.nanoTime();
                cpu0 = os.getProcessCpuTime();
                alloc0 = allocatedByThread();
                threadCpu0 = cpuNanosByThread();
                vm0 = ProcessMeter.cpuByThread(ProcessHandle.current().pid(), Map.of());
                simCpu0 = ProcessMeter.cpuSeconds(sim.pid());
                pgCpu0 = ProcessMeter.postgresCpuSeconds(data.resolve("postgres"));
                for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                    p.resetPeakUsage();
                }
                afterGc.watch();
                firstDelivered = -1;
                while (g.state().eventsStored() < 1L + guilds) {
                    if (firstDelivered < 0 && g.delivery().delivered() >= 2) { // READY and the first GUILD_CREATE
                        firstDelivered = (System.nanoTime() - t0) / 1e9;
                    }
                    Thread.sleep(10);
                }
                loadSeconds = (System.nanoTime() - t0) / 1e9;
                cpuSeconds = (os.getProcessCpuTime() - cpu0) / 1e9;
                simCpu = ProcessMeter.cpuSeconds(sim.pid()) - simCpu0;
                pgCpu = ProcessMeter.postgresCpuSeconds(data.resolve("postgres")) - pgCpu0;
                flushes = g.state().flushes();
                statements = g.state().statementSeconds();
                threadCpu = cpuByThreadSince(threadCpu0);
                vmCpu = vmThreadsSince(vm0);
                allocated = allocatedSince(alloc0);
                kindCpu = threadsSince(vm0, ProcessMeter::threadKind);
                kindCpu.replaceAll((k, v) -> Math.round(v * 10) / 10.0);
                while (g.delivery().delivered() < 1L + guilds) {
                    Thread.sleep(10);
                }
                deliveredSeconds = (System.nanoTime() - t0) / 1e9;
                afterGc.stop();
                System.gc();
                heldAfter = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (p.getType() == MemoryType.HEAP) {
                        peakHeap += p.getPeakUsage().getUsed();
                    }
                }
            } finally {
                g.close(10_000);
            }
            Map<String, byte[]> copied = new LinkedHashMap<>();
            Map<String, byte[]> binary = new LinkedHashMap<>();
            Map<String, Long> counts = new LinkedHashMap<>();
            long rows = 0;
            try (Connection c = DriverManager.getConnection(jdbc, pg.user(), "")) {
                CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
                for (String t : TABLES) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    long n = cm.copyOut("COPY " + t + " TO STDOUT", out);
                    copied.put(t, out.toByteArray());
                    counts.put(t, n);
                    ByteArrayOutputStream bin = new ByteArrayOutputStream();
                    cm.copyOut("COPY " + t + " TO STDOUT (FORMAT binary)", bin);
                    binary.put(t, bin.toByteArray());
                    rows += n;
                }
            }
            Database.open(pg.jdbcUrl("baseline"), pg.user(), "", 1).close();
            double copySeconds;
            double copyPgCpu;
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("baseline"), pg.user(), "")) {
                c.setAutoCommit(false);
                CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
                double pg0 = ProcessMeter.postgresCpuSeconds(data.resolve("postgres"));
                long t0 = System.nanoTime();
                for (Map.Entry<String, byte[]> e : copied.entrySet()) {
                    cm.copyIn("COPY " + e.getKey() + " FROM STDIN", new ByteArrayInputStream(e.getValue()));
                }
                c.commit();
                copySeconds = (System.nanoTime() - t0) / 1e9;
                copyPgCpu = ProcessMeter.postgresCpuSeconds(data.resolve("postgres")) - pg0;
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM members")) {
                    rs.next();
                    if (rs.getLong(1) != counts.get("members")) {
                        throw new IllegalStateException("the raw COPY stored " + rs.getLong(1) + " members, not " + counts.get("members"));
                    }
                }
            }
            double[] staging = stagingFormats(pg.jdbcUrl("baseline"), pg.user(), copied, binary);
            double ours = rows / loadSeconds;
            double raw = rows / copySeconds;
            System.out.println();
            System.out.println("gatehouse bench load: one shard's READY + GUILD_CREATE burst -> gatehouse -> embedded PostgreSQL");
            System.out.printf("machine: %d cores, %s %s, Java %s; command: ./run.sh bench load %s%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
                    System.getProperty("java.version"), String.join(" ", args));
            System.out.printf("world: 1 shard, %d guilds, %d members on average (at most %d)%n", guilds, average, maxMembers);
            System.out.println("rows stored: " + counts + ", " + rows + " in all");
            System.out.printf("gatehouse: stored %.2f s after READY (%.0f rows/s) in %d transactions; the first GUILD_CREATE"
                    + " delivered to the bot after %.2f s, all after %.2f s%n", loadSeconds, ours, flushes, firstDelivered, deliveredSeconds);
            System.out.println("gatehouse's database thread, seconds per statement: " + statements);
            System.out.printf("raw COPY of the same rows into the same tables: %.2f s (%.0f rows/s)%n", copySeconds, raw);
            System.out.printf("gatehouse / raw COPY: %.0f%%%n", 100 * ours / raw);
            System.out.printf("PostgreSQL's CPU for the raw COPY: %.1f s%n", copyPgCpu);
            System.out.printf("the same rows into unindexed temporary tables (a staging load), best of %d rounds each: text COPY %.2f s"
                    + " (%.1f MB), binary COPY %.2f s (%.1f MB)%n", STAGING_ROUNDS, staging[0], staging[2] / 1e6, staging[1], staging[3] / 1e6);
            System.out.printf("cpu during the load: gatehouse's JVM %.1f s (%s), PostgreSQL %.1f s, the simulator's JVM %.1f s%n",
                    cpuSeconds, threadCpu, pgCpu, simCpu);
            System.out.printf("gatehouse's JVM during the load by kind of thread (JIT compilers, GC incl. the VM thread, the rest): %s;"
                    + " launched with %s%n", kindCpu, ManagementFactory.getRuntimeMXBean().getInputArguments());
            System.out.println("the JVM's own threads during the load (s, by name): " + vmCpu);
            System.out.println("allocated during the load by this JVM's threads (MB, by thread): " + allocated);
            System.out.printf("peak heap during the load: %d MiB (this JVM: gatehouse alone); the most left after a collection"
                    + " during the load: %d MiB (after young collections: old garbage included); held once the burst was"
                    + " delivered, after a full collection: %d MiB%n", peakHeap >> 20, afterGc.max() >> 20, heldAfter >> 20);
        } finally {
            PeersBench.deleteTree(data);
        }
        return 0;
    }
}
