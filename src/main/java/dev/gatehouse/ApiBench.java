package dev.gatehouse;

import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.sim.SampleBot;
import dev.gatehouse.sim.SimOptions;
import dev.gatehouse.sim.Simulator;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The API benchmark ({@code ./run.sh bench api}): reads of members through the HTTP API by concurrent keep-alive
 * clients, first of cached members (hits: the server and the cache), then of members never read (misses: one
 * PostgreSQL query each). Prints reads/s and latency percentiles, the machine and the command. Options:
 * {@code --seconds=5 --clients=64 --guilds=1500 --hot=2000}.
 */
final class ApiBench {
    private ApiBench() {
    }

    static int run(List<String> args) throws Exception {
        int seconds = 5, clients = 64, guilds = 1500, hot = 2000;
        for (String a : args) {
            String[] kv = a.startsWith("--") && a.contains("=") ? a.substring(2).split("=", 2) : new String[] {a, ""};
            switch (kv[0]) {
                case "seconds" -> seconds = Integer.parseInt(kv[1]);
                case "clients" -> clients = Integer.parseInt(kv[1]);
                case "guilds" -> guilds = Integer.parseInt(kv[1]);
                case "hot" -> hot = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("bench api: unknown option " + a
                        + "; expected --seconds, --clients, --guilds, --hot");
            }
        }
        Path data = Files.createTempDirectory("gatehouse-api-bench-");
        data.toFile().setExecutable(true, false);
        data.toFile().setReadable(true, false);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        SimOptions simOptions = SimOptions.defaults().withWorld(2, guilds, 1000).withTraffic(0).withToken("bench-token").withTruth(false);
        try (Simulator sim = new Simulator(simOptions); SampleBot bot = new SampleBot("bench-secret")) {
            List<String> settings = List.of("--config=" + Files.createTempFile(data, "empty", ".properties"),
                    "--discord.token=bench-token", "--rest.url=" + sim.restUrl(), "--eventHandler.url=" + bot.url(),
                    "--eventHandler.secret=bench-secret", "--db.dataDir=" + data.resolve("postgres"),
                    "--status.intervalSeconds=0", "--api.port=" + port);
            Gatehouse g = Gatehouse.start(ConfigLoader.load(settings, Map.of()));
            try {
                while (!g.shards().statuses().stream().allMatch(s -> s.ready() && s.guildsLoaded() == s.guilds())
                        || g.delivery().delivered() < g.dispatches() || g.delivery().queued() > 0) {
                    Thread.sleep(100);
                }
                List<String> paths = new ArrayList<>();
                for (String key : sim.onWorld(w -> w.memberKeys())) {
                    String[] gu = key.split(":");
                    paths.add("/guilds/" + gu[0] + "/members/" + gu[1]);
                }
                Collections.shuffle(paths, new java.util.Random(1));
                String base = "http://127.0.0.1:" + port;
                List<String> hotPaths = paths.subList(0, Math.min(hot, paths.size()));
                List<String> coldPaths = paths.subList(hotPaths.size(), paths.size());
                Result warm = measure(base, hotPaths, clients, 120, false); // fills the cache: every hot member read once
                Result hits = measure(base, hotPaths, clients, seconds, true);
                Result misses = measure(base, coldPaths, clients, seconds, false);
                long queries = g.reads().queries("member");
                System.out.println();
                System.out.println("gatehouse bench api: GET /guilds/{guild_id}/members/{user_id} over keep-alive HTTP/1.1");
                System.out.printf("machine: %d cores, %s %s, Java %s (%s)%n", Runtime.getRuntime().availableProcessors(),
                        System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"),
                        System.getProperty("java.vm.name"));
                System.out.printf("command: ./run.sh bench api %s%n", String.join(" ", args));
                System.out.printf("world: %d guilds, %d members; %d concurrent clients (one JVM with gatehouse and embedded"
                        + " PostgreSQL)%n", guilds, paths.size(), clients);
                System.out.printf("cache fill: %d members read once in %.1f s%n", warm.count, warm.seconds);
                System.out.printf("cached reads: %.0f reads/s, p50 %.2f ms, p99 %.2f ms (%d reads in %.1f s)%n",
                        hits.count / hits.seconds, hits.p(0.50), hits.p(0.99), hits.count, hits.seconds);
                System.out.printf("misses (one PostgreSQL query each): %.0f reads/s, p50 %.2f ms, p99 %.2f ms (%d reads in %.1f s)%n",
                        misses.count / misses.seconds, misses.p(0.50), misses.p(0.99), misses.count, misses.seconds);
                System.out.printf("member queries run: %d for %d reads; 404 (members not stored: large guilds list only"
                        + " some): %d; errors: %d%n", queries, warm.count + hits.count + misses.count,
                        warm.absent + hits.absent + misses.absent, warm.errors + hits.errors + misses.errors);
            } finally {
                g.close(5_000);
            }
        } finally {
            try (var s = Files.walk(data)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
            }
        }
        return 0;
    }

    /** Reads done, errors, the time they took and every latency in nanoseconds. */
    record Result(int count, int errors, int absent, double seconds, long[] nanos) {
        double p(double q) {
            return nanos.length == 0 ? 0 : nanos[Math.min(nanos.length - 1, (int) (q * nanos.length))] / 1e6;
        }
    }

    /**
     * {@code clients} threads reading: with {@code random}, random paths for {@code seconds}; otherwise each path once,
     * in order, until all are read or the time is up.
     */
    private static Result measure(String base, List<String> paths, int clients, int seconds, boolean random) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger absent = new AtomicInteger();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        List<long[]> perClient = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            threads.add(Thread.ofVirtual().start(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                while (System.nanoTime() < deadline) {
                    String path;
                    if (random) {
                        path = paths.get(ThreadLocalRandom.current().nextInt(paths.size()));
                    } else {
                        int i = next.getAndIncrement();
                        if (i >= paths.size()) {
                            break;
                        }
                        path = paths.get(i);
                    }
                    long s = System.nanoTime();
                    try {
                        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
                                HttpResponse.BodyHandlers.discarding());
                        if (r.statusCode() == 404) {
                            absent.incrementAndGet(); // a member of a large guild, whose GUILD_CREATE lists only some
                        } else if (r.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    if (n == lat.length) {
                        lat = Arrays.copyOf(lat, n * 2);
                    }
                    lat[n++] = System.nanoTime() - s;
                }
                perClient.add(Arrays.copyOf(lat, n));
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long[] all = perClient.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        http.close();
        return new Result(all.length, errors.get(), absent.get(), elapsed, all);
    }
}
