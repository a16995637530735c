package dev.gatehouse.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code ./run.sh bench peers}: the same simulator firehose consumed, one after the other and each in its own
 * process, by Gatehouse (state in its embedded PostgreSQL, delivery to a bot endpoint in this process), by JDA
 * (default caches) and by @discordjs/ws (JSON.parse per event). The simulator runs in a fourth process. For each
 * consumer, after it has loaded every guild and warmed up: CPU per event of its process (and of Gatehouse's
 * PostgreSQL), events/s, latency p50/p99 from the simulator's clock to the consumer, live heap after a full GC
 * per shard, peak RSS; then the ratios, and an SVG plot.
 *
 * <p>Options: {@code --seconds=20 --warmup=10 --rate=3000 --shards=4 --guilds=2000 --members=1000
 * --peers=gatehouse,jda,discordjs --plot=docs/peers.svg} ({@code gatehouse-single}: Gatehouse again, one event per POST
 * whatever the bot asks, as for a bot that does not batch) {@code --histogram=FILE} (Gatehouse's whole class histogram,
 * written to FILE), {@code --jfr=FILE} (a JFR recording of the Gatehouse process over the measured window, settings
 * "profile", written to FILE), and any Gatehouse key as {@code --key=value}.
 * Run through {@code run.sh}, which puts JDA (a test-scope dependency) on the class path.
 */
public final class PeersBench {
    private PeersBench() {
    }

    /** One consumer's figures over the measured window. */
    record Result(String peer, double seconds, long events, double cpuSeconds, double databaseCpuSeconds, long p50Micros,
                  long p99Micros, long latencySamples, long heapAfterGcBytes, long peakRssBytes, Map<String, Double> threadRoles,
                  long posts) {
        double eventsPerSecond() {
            return events / seconds;
        }

        double cpuMicrosPerEvent() {
            return events == 0 ? 0 : cpuSeconds / events * 1e6;
        }

        double databaseCpuMicrosPerEvent() {
            return events == 0 ? 0 : databaseCpuSeconds / events * 1e6;
        }
    }

    public static int run(List<String> args) throws Exception {
        int seconds = 20, warmup = 10, rate = 3000, shards = 4, guilds = 2000, members = 1000;
        List<String> peers = List.of("gatehouse", "jda", "discordjs");
        Path plot = Path.of("docs", "peers.svg");
        Optional<Path> histogram = Optional.empty();
        Optional<Path> jfr = Optional.empty();
        List<String> gatehouseArgs = new ArrayList<>();
        for (String a : args) {
            String[] kv = a.startsWith("--") && a.contains("=") ? a.substring(2).split("=", 2) : new String[] {a, ""};
            switch (kv[0]) {
                case "seconds" -> seconds = Integer.parseInt(kv[1]);
                case "warmup" -> warmup = Integer.parseInt(kv[1]);
                case "rate" -> rate = Integer.parseInt(kv[1]);
                case "shards" -> shards = Integer.parseInt(kv[1]);
                case "guilds" -> guilds = Integer.parseInt(kv[1]);
                case "members" -> members = Integer.parseInt(kv[1]);
                case "peers" -> peers = List.of(kv[1].split(","));
                case "plot" -> plot = Path.of(kv[1]);
                case "histogram" -> histogram = Optional.of(Path.of(kv[1]));
                case "jfr" -> jfr = Optional.of(Path.of(kv[1]).toAbsolutePath());
                default -> gatehouseArgs.add(a);
            }
        }
        Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
        Path jcmd = java.resolveSibling("jcmd");
        String classpath = System.getProperty("java.class.path");
        Path jar = Path.of("target", "gatehouse.jar");
        String token = "peers-" + UUID.randomUUID();
        Path work = Files.createTempDirectory("gatehouse-peers-");
        work.toFile().setExecutable(true, false);
        work.toFile().setReadable(true, false);
        List<Result> results = new ArrayList<>();
        try (PeerProcess sim = new PeerProcess("simulator", new ProcessBuilder(java.toString(), "-Xmx2g", "-cp", jar.toString(),
                PeersSimulator.class.getName(), Integer.toString(shards), Integer.toString(guilds), Integer.toString(members),
                Integer.toString(rate), token))) {
            Map<String, String> urls = sim.await("ready", 120);
            int fullest = Integer.parseInt(urls.get("fullestShardGuilds"));
            int max = Integer.parseInt(urls.get("maxGuildsPerShard"));
            if (fullest > max) { // every peer would wait its whole load timeout for guilds it is never sent
                throw new IllegalArgumentException("--guilds=" + guilds + " --shards=" + shards + ": the simulator puts " + fullest
                        + " guilds on shard " + urls.get("fullestShard") + ", over its " + max + " per shard, and closes that shard's"
                        + " identify with 4011 (sharding required), as Discord does; use more --shards or fewer --guilds");
            }
            String rest = urls.get("rest");
            String gateway = urls.get("gateway");
            for (String peer : peers) {
                System.err.println("peers: " + peer + " logs in and loads " + guilds + " guilds");
                Result r;
                try {
                    r = switch (peer) {
                    case "gatehouse" -> gatehouse(peer, java, jcmd, jar, rest, token, work, guilds, warmup, seconds, gatehouseArgs,
                            histogram, jfr);
                    case "gatehouse-single" -> gatehouse(peer, java, jcmd, jar, rest, token, work, guilds, warmup, seconds,
                            withSinglePosts(gatehouseArgs), Optional.empty(), Optional.empty());
                    case "jda" -> jda(java, jcmd, classpath, rest, gateway, token, guilds, warmup, seconds);
                    case "discordjs" -> discordjs(rest.substring(0, rest.lastIndexOf('/')), token, guilds, warmup, seconds);
                    default -> throw new IllegalArgumentException("--peers: unknown peer '" + peer
                            + "'; expected gatehouse, gatehouse-single (one event per POST), jda or discordjs");
                    };
                } catch (IllegalStateException e) {
                    System.err.println("peers: " + peer + " left out of this run: " + e.getMessage());
                    continue;
                }
                if (r != null) {
                    results.add(r);
                    System.err.println("peers: " + peer + ": " + line(r, shards));
                }
            }
            sim.stop(20);
        } finally {
            deleteTree(work);
        }
        print(results, args, seconds, warmup, rate, shards, guilds, members);
        if (!results.isEmpty()) {
            Files.createDirectories(plot.toAbsolutePath().getParent());
            Files.writeString(plot, PeersPlot.svg(results, shards, rate));
            System.out.println("plot: " + plot);
        }
        return 0;
    }

    /** The same Gatehouse with one event per POST whatever the bot asks (as with a bot that does not batch). */
    private static List<String> withSinglePosts(List<String> extra) {
        List<String> args = new ArrayList<>(extra);
        args.add("--delivery.maxBatchSize=1");
        return args;
    }

    private static Result gatehouse(String peer, Path java, Path jcmd, Path jar, String rest, String token, Path work, int guilds,
                                    int warmup, int seconds, List<String> extra, Optional<Path> histogram, Optional<Path> jfr)
            throws Exception {
        String secret = "peers-bot-" + UUID.randomUUID();
        Path config = Files.createTempFile(work, "gatehouse", ".properties");
        Path postgres = work.resolve(peer + "-postgres"); // each run its own state, spill and journal: nothing carried over
        try (DeliveryCounter bot = new DeliveryCounter(secret)) {
            List<String> cmd = new ArrayList<>(List.of(java.toString()));
            cmd.addAll(gatehouseJvmFlags());
            cmd.addAll(List.of("-jar", jar.toString(), "run", "--config=" + config,
                    "--discord.token=" + token, "--rest.url=" + rest, "--eventHandler.url=" + bot.url(),
                    "--eventHandler.secret=" + secret, "--db.dataDir=" + postgres, "--status.intervalSeconds=0",
                    "--delivery.spillDir=" + work.resolve(peer + "-spill"), "--state.journalDir=" + work.resolve(peer + "-journal"),
                    "--api.port=0"));
            cmd.addAll(extra);
            try (PeerProcess g = new PeerProcess(peer, new ProcessBuilder(cmd))) {
                long deadline = System.nanoTime() + 300_000_000_000L;
                while (bot.guilds() < guilds) {
                    if (!g.alive()) {
                        throw new IllegalStateException("gatehouse exited after delivering " + bot.guilds() + " of " + guilds
                                + " GUILD_CREATEs (its output is above)");
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("gatehouse delivered " + bot.guilds() + " of " + guilds + " GUILD_CREATEs in 300 s");
                    }
                    Thread.sleep(100);
                }
                Thread.sleep(warmup * 1000L);
                long pid = g.pid();
                // the thread names first: jcmd's Thread.print takes a while and pauses the JVM at a safepoint, so it
                // stays out of the window's events and latencies, as it stays out of its time and CPU
                Map<Long, String> names = ProcessMeter.javaThreadNames(jcmd, pid);
                bot.mark();
                long e0 = bot.events();
                long posts0 = bot.posts();
                Map<Long, ProcessMeter.ThreadCpu> threads0 = ProcessMeter.cpuByThread(pid, names);
                double cpu0 = ProcessMeter.cpuSeconds(pid);
                double db0 = ProcessMeter.postgresCpuSeconds(postgres);
                jfr.ifPresent(f -> System.err.println("peers: "
                        + ProcessMeter.jcmd(jcmd, pid, "JFR.start", "name=peers", "settings=profile").strip()));
                long t0 = System.nanoTime();
                Thread.sleep(seconds * 1000L);
                long e1 = bot.events();
                long posts1 = bot.posts();
                double cpu1 = ProcessMeter.cpuSeconds(pid);
                Map<Long, ProcessMeter.ThreadCpu> threads1 = ProcessMeter.cpuByThread(pid, names);
                double db1 = ProcessMeter.postgresCpuSeconds(postgres);
                double elapsed = (System.nanoTime() - t0) / 1e9;
                long[] q = bot.quantiles();
                if (jfr.isPresent()) {
                    System.err.println("peers: " + ProcessMeter.jcmd(jcmd, pid, "JFR.stop", "name=peers", "filename=" + jfr.get()).strip());
                }
                String classes = ProcessMeter.classHistogram(jcmd, pid);
                long heap = ProcessMeter.liveHeapBytes(classes);
                if (histogram.isPresent()) {
                    Files.writeString(histogram.get(), classes);
                    System.err.println("peers: gatehouse's class histogram after the window: " + histogram.get());
                }
                long rss = ProcessMeter.peakRssBytes(pid);
                g.terminate(60);
                return new Result(peer, elapsed, e1 - e0, cpu1 - cpu0, db1 - db0, q[0], q[1], q[2], heap, rss,
                        ProcessMeter.cpuByRole(threads0, threads1, cpu1 - cpu0), posts1 - posts0);
            }
        }
    }

    private static Result jda(Path java, Path jcmd, String classpath, String rest, String gateway, String token, int guilds,
                              int warmup, int seconds) throws Exception {
        try (PeerProcess p = new PeerProcess("jda", new ProcessBuilder(java.toString(), "-cp", classpath, "dev.gatehouse.bench.JdaPeer",
                rest, gateway, token, Integer.toString(guilds)))) {
            p.await("loaded", 300);
            return measure("jda", p, warmup, seconds, () -> ProcessMeter.liveHeapBytes(jcmd, p.pid()),
                    () -> ProcessMeter.javaThreadNames(jcmd, p.pid()));
        }
    }

    private static Result discordjs(String rest, String token, int guilds, int warmup, int seconds) throws Exception {
        Path dir = npmCi();
        if (dir == null) {
            return null;
        }
        ProcessBuilder pb = new ProcessBuilder("node", "--expose-gc", "peer-client.mjs").directory(dir.toFile());
        pb.environment().put("DISCORD_API", rest);
        pb.environment().put("DISCORD_TOKEN", token);
        pb.environment().put("GUILDS", Integer.toString(guilds));
        try (PeerProcess p = new PeerProcess("discordjs", pb)) {
            p.await("loaded", 300);
            long[] heap = new long[1];
            Result r = measure("discordjs", p, warmup, seconds, () -> heap[0], Map::of);
            return r;
        }
    }

    /** The window of a peer that counts its own events: mark, wait, report, then its heap, then stop. */
    private static Result measure(String name, PeerProcess p, int warmup, int seconds, java.util.function.LongSupplier heap,
                                  java.util.function.Supplier<Map<Long, String>> threadNames) throws Exception {
        Thread.sleep(warmup * 1000L);
        Map<Long, String> names = threadNames.get(); // before the mark: see the gatehouse window
        p.send("mark");
        long e0 = Long.parseLong(p.await("marked", 60).get("events"));
        Map<Long, ProcessMeter.ThreadCpu> threads0 = ProcessMeter.cpuByThread(p.pid(), names);
        double cpu0 = ProcessMeter.cpuSeconds(p.pid());
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        double cpu1 = ProcessMeter.cpuSeconds(p.pid());
        Map<Long, ProcessMeter.ThreadCpu> threads1 = ProcessMeter.cpuByThread(p.pid(), names);
        p.send("report");
        Map<String, String> report = p.await("report", 120);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long e1 = Long.parseLong(report.get("events"));
        long heapBytes = report.containsKey("heapAfterGc") ? (long) Double.parseDouble(report.get("heapAfterGc")) : heap.getAsLong();
        long rss = ProcessMeter.peakRssBytes(p.pid());
        p.send("stop");
        p.stop(30);
        return new Result(name, elapsed, e1 - e0, cpu1 - cpu0, 0, (long) Double.parseDouble(report.get("p50")),
                (long) Double.parseDouble(report.get("p99")), Long.parseLong(report.get("samples")), heapBytes, rss,
                ProcessMeter.cpuByRole(threads0, threads1, cpu1 - cpu0), 0);
    }

    /** Copies the Node peer into target/ and installs its pinned packages once; null (and a reason) without node. */
    private static Path npmCi() throws Exception {
        if (!onPath("node") || !onPath("npm")) {
            System.err.println("peers: discordjs skipped: node and npm are not on the PATH (Node.js 20 or newer is needed)");
            return null;
        }
        Path src = Path.of("src", "test", "node");
        Path dir = Path.of("target", "node-peers");
        Files.createDirectories(dir);
        for (String f : new String[] {"package.json", "package-lock.json", "peer-client.mjs"}) {
            Files.copy(src.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(dir.resolve("node_modules"))) {
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
            if (npm.waitFor() != 0) {
                throw new IllegalStateException("npm ci in " + dir + " failed with exit code " + npm.exitValue());
            }
        }
        return dir;
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private static String line(Result r, int shards) {
        return String.format(Locale.ROOT, "%.0f events/s, %.1f us CPU per event%s, p50 %.1f ms, p99 %.1f ms, heap after GC %.1f MiB"
                        + " (%.1f MiB per shard), peak RSS %d MiB", r.eventsPerSecond(), r.cpuMicrosPerEvent(),
                r.databaseCpuSeconds() > 0 ? String.format(Locale.ROOT, " + %.1f us in PostgreSQL", r.databaseCpuMicrosPerEvent()) : "",
                r.p50Micros() / 1000.0, r.p99Micros() / 1000.0, r.heapAfterGcBytes() / 1048576.0,
                r.heapAfterGcBytes() / 1048576.0 / shards, r.peakRssBytes() >> 20);
    }

    private static void print(List<Result> results, List<String> args, int seconds, int warmup, int rate, int shards, int guilds,
                              int members) {
        System.out.println();
        System.out.println("gatehouse bench peers: one simulator firehose, consumed in turn by each peer in its own process");
        System.out.printf("machine: %d cores, %s %s, Java %s (%s)%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"),
                System.getProperty("java.vm.name"));
        System.out.printf("command: ./run.sh bench peers %s%n", String.join(" ", args));
        System.out.printf("world: %d shards, %d guilds (up to %d members); offered %d events/s; %d s measured after loading"
                + " every guild and %d s of warm-up%n", shards, guilds, members, rate, seconds, warmup);
        System.out.println();
        System.out.println("| peer | events/s | CPU us/event (process) | + its PostgreSQL | p50 ms | p99 ms | heap after GC per shard | peak RSS |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.1f | %s | %.1f | %.1f | %.1f MiB | %d MiB |%n", r.peer(), r.eventsPerSecond(),
                    r.cpuMicrosPerEvent(), r.peer().startsWith("gatehouse")
                            ? String.format(Locale.ROOT, "%.1f", r.cpuMicrosPerEvent() + r.databaseCpuMicrosPerEvent()) : "-",
                    r.p50Micros() / 1000.0, r.p99Micros() / 1000.0, r.heapAfterGcBytes() / 1048576.0 / shards, r.peakRssBytes() >> 20);
        }
        for (Result r : results) {
            System.out.println(topThreads(r));
        }
        Result g = find(results, "gatehouse");
        for (String peer : new String[] {"jda", "discordjs"}) {
            Result p = find(results, peer);
            if (g != null && p != null && p.cpuMicrosPerEvent() > 0) {
                System.out.printf(Locale.ROOT, "ratio gatehouse/%s: CPU per event %.2f (process alone), %.2f (with PostgreSQL);"
                                + " heap per shard %.2f%n", peer, g.cpuMicrosPerEvent() / p.cpuMicrosPerEvent(),
                        (g.cpuMicrosPerEvent() + g.databaseCpuMicrosPerEvent()) / p.cpuMicrosPerEvent(),
                        p.heapAfterGcBytes() <= 0 ? Double.NaN : (double) g.heapAfterGcBytes() / p.heapAfterGcBytes());
            }
        }
        System.out.println("(latency: the simulator's clock when it made a MESSAGE_CREATE to its arrival at the consumer's handler;"
                + " for Gatehouse, at the bot endpoint after state and delivery. Heap: jcmd GC.class_histogram for the JVMs,"
                + " V8's heapUsed after gc() for Node.)");
    }

    /**
     * One line of a peer's CPU per event by thread role over the window, largest first (each role's share of the
     * process's CPU too), and for Gatehouse the POSTs and their CPU on the HTTP client's and lanes' threads.
     */
    static String topThreads(Result r) {
        StringBuilder b = new StringBuilder("top threads of " + r.peer() + " (us CPU per event, share of the process):");
        r.threadRoles().entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(12)
                .forEach(e -> b.append(String.format(Locale.ROOT, " %s %.1f (%.0f%%);", e.getKey(),
                        r.events() == 0 ? 0 : e.getValue() / r.events() * 1e6, r.cpuSeconds() <= 0 ? 0 : 100 * e.getValue() / r.cpuSeconds())));
        if (r.posts() > 0) {
            double http = r.threadRoles().getOrDefault("HttpClient", 0.0) + r.threadRoles().getOrDefault("delivery lanes", 0.0);
            b.append(String.format(Locale.ROOT, " POSTs %d (%.2f events each), HttpClient + lanes %.1f us CPU per POST",
                    r.posts(), (double) r.events() / r.posts(), http / r.posts() * 1e6));
        }
        return b.toString();
    }

    /**
     * The flags of Gatehouse's JVM, from the system property {@code peers.gatehouseJvmFlags} (space-separated): run.sh
     * puts its launch flags there (the AOT cache on JDK 25+), so the peer runs as {@code ./run.sh} runs Gatehouse.
     */
    private static List<String> gatehouseJvmFlags() {
        String flags = System.getProperty("peers.gatehouseJvmFlags", "").strip();
        System.err.println("peers: gatehouse's JVM flags: " + (flags.isEmpty() ? "(none)" : flags));
        return flags.isEmpty() ? List.of() : List.of(flags.split("\\s+"));
    }

    private static Result find(List<Result> results, String peer) {
        return results.stream().filter(r -> r.peer().equals(peer)).findFirst().orElse(null);
    }

    static void deleteTree(Path p) {
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir; the OS cleans it eventually
        }
    }
}
