package dev.gatehouse;

import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.control.ReshardStatus;
import dev.gatehouse.sim.SampleBot;
import dev.gatehouse.sim.SimOptions;
import dev.gatehouse.sim.Simulator;
import dev.gatehouse.state.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The reshard benchmark ({@code ./run.sh bench reshard}): under steady traffic, the time from asking for a reshard
 * to the switch, and the events delivered to the bot per second during the reshard against before it, for each
 * identify concurrency asked for. Options: {@code --from=16 --to=32 --concurrency=16,1 --guilds=3200
 * --rate=2000 --identifyMs=5000 --seconds=10} (seconds of traffic measured before the reshard).
 */
final class ReshardBench {
    private ReshardBench() {
    }

    static int run(List<String> args) throws Exception {
        int from = 16, to = 32, guilds = 0, rate = 2000, identifyMs = 5000, seconds = 10;
        List<Integer> concurrencies = new ArrayList<>(List.of(16, 1));
        for (String a : args) {
            String[] kv = a.startsWith("--") && a.contains("=") ? a.substring(2).split("=", 2) : new String[] {a, ""};
            switch (kv[0]) {
                case "from" -> from = Integer.parseInt(kv[1]);
                case "to" -> to = Integer.parseInt(kv[1]);
                case "guilds" -> guilds = Integer.parseInt(kv[1]);
                case "rate" -> rate = Integer.parseInt(kv[1]);
                case "identifyMs" -> identifyMs = Integer.parseInt(kv[1]);
                case "seconds" -> seconds = Integer.parseInt(kv[1]);
                case "concurrency" -> {
                    concurrencies.clear();
                    for (String c : kv[1].split(",")) {
                        concurrencies.add(Integer.parseInt(c.strip()));
                    }
                }
                default -> throw new IllegalArgumentException("bench reshard: unknown option " + a
                        + "; expected --from, --to, --concurrency, --guilds, --rate, --identifyMs, --seconds");
            }
        }
        if (guilds == 0) {
            guilds = from * 200;
        }
        List<String> lines = new ArrayList<>();
        for (int concurrency : concurrencies) {
            lines.add(once(from, to, concurrency, guilds, rate, identifyMs, seconds));
        }
        System.out.printf("%nreshard benchmark: %d -> %d shards, %d guilds, %d events/s offered, identify interval %d ms%n",
                from, to, guilds, rate, identifyMs);
        lines.forEach(System.out::println);
        System.out.printf("  machine: %d cores, Java %s; command: ./run.sh bench reshard %s%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version(), String.join(" ", args));
        return 0;
    }

    private static String once(int from, int to, int concurrency, int guilds, int rate, int identifyMs, int seconds)
            throws Exception {
        Path data = Files.createTempDirectory("gatehouse-reshard-bench-");
        data.toFile().setExecutable(true, false);
        data.toFile().setReadable(true, false);
        SimOptions simOptions = SimOptions.defaults().withWorld(from, guilds, 100).withTraffic(rate)
                .withToken("bench-token").withTruth(false).withLimits(concurrency, identifyMs, 41_250, 2500, true);
        String secret = "bench-secret";
        try (Simulator sim = new Simulator(simOptions); SampleBot bot = new SampleBot(secret);
             EmbeddedPostgres pg = EmbeddedPostgres.start(data.resolve("postgres"), 0)) {
            pg.createDatabase("gatehouse");
            List<String> settings = new ArrayList<>(List.of("--config=" + Files.createTempFile(data, "empty", ".properties"),
                    "--discord.token=bench-token", "--rest.url=" + sim.restUrl(), "--eventHandler.url=" + bot.url(),
                    "--eventHandler.secret=" + secret, "--db.url=" + pg.jdbcUrl("gatehouse"), "--db.user=" + pg.user(),
                    "--status.intervalSeconds=0", "--spawnShardDelay=" + identifyMs, "--totalShards=" + from,
                    "--reshard=false", "--delivery.spillDir=" + data.resolve("spill")));
            Gatehouse g = Gatehouse.start(ConfigLoader.load(settings, Map.of()));
            try {
                while (!g.shards().statuses().stream().allMatch(s -> s.ready() && s.guildsLoaded() == s.guilds())) {
                    Thread.sleep(50);
                }
                sim.startTraffic();
                Thread.sleep(2_000); // warm-up
                long d0 = g.delivery().delivered();
                long t0 = System.nanoTime();
                Thread.sleep(seconds * 1000L);
                double before = (g.delivery().delivered() - d0) / ((System.nanoTime() - t0) / 1e9);
                long d1 = g.delivery().delivered();
                long t1 = System.nanoTime();
                g.reshard(OptionalInt.of(to));
                ReshardStatus s;
                while (!(s = g.reshardStatus()).phase().equals("done") && !s.phase().equals("failed")
                        && !s.phase().equals("refused")) {
                    Thread.sleep(20);
                }
                double took = (System.nanoTime() - t1) / 1e9;
                double during = (g.delivery().delivered() - d1) / took;
                return String.format("  max_concurrency %2d: %s after %6.1f s; delivered %6.0f events/s during the reshard,"
                                + " %6.0f before (%.2fx); %d identify-bucket violations", concurrency, s.phase(), took, during,
                        before, during / before, sim.bucketViolations());
            } finally {
                sim.stopTraffic();
                g.close(10_000);
            }
        }
    }
}
