package dev.gatehouse;

import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.sim.SampleBot;
import dev.gatehouse.sim.SimOptions;
import dev.gatehouse.sim.Simulator;
import dev.gatehouse.state.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The startup benchmark ({@code ./run.sh bench startup}): how long until every shard is READY with its guilds
 * loaded, for a cold start (every shard identifies through Discord's 5 s buckets), a restart that resumes the
 * stored sessions, and a restart whose sessions were wiped (every shard identifies again). Options:
 * {@code --shards=64 --concurrency=16 --guilds=1280 --identifyMs=5000}.
 */
final class StartupBench {
    private StartupBench() {
    }

    static int run(List<String> args) throws Exception {
        int shards = 64, concurrency = 16, guilds = 0, identifyMs = 5000;
        for (String a : args) {
            String[] kv = a.startsWith("--") && a.contains("=") ? a.substring(2).split("=", 2) : new String[] {a, ""};
            switch (kv[0]) {
                case "shards" -> shards = Integer.parseInt(kv[1]);
                case "concurrency" -> concurrency = Integer.parseInt(kv[1]);
                case "guilds" -> guilds = Integer.parseInt(kv[1]);
                case "identifyMs" -> identifyMs = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("bench startup: unknown option " + a
                        + "; expected --shards, --concurrency, --guilds, --identifyMs");
            }
        }
        if (guilds == 0) {
            guilds = shards * 20;
        }
        Path data = Files.createTempDirectory("gatehouse-startup-bench-");
        data.toFile().setExecutable(true, false);
        data.toFile().setReadable(true, false);
        SimOptions simOptions = SimOptions.defaults().withWorld(shards, guilds, 200).withTraffic(0)
                .withToken("bench-token").withTruth(false).withLimits(concurrency, identifyMs, 41_250, 2500, true);
        String secret = "bench-secret";
        double cold, resumed, reidentified;
        try (Simulator sim = new Simulator(simOptions); SampleBot bot = new SampleBot(secret);
             EmbeddedPostgres pg = EmbeddedPostgres.start(data.resolve("postgres"), 0)) {
            pg.createDatabase("gatehouse");
            String jdbc = pg.jdbcUrl("gatehouse");
            List<String> settings = List.of("--config=" + Files.createTempFile(data, "empty", ".properties"),
                    "--discord.token=bench-token", "--rest.url=" + sim.restUrl(), "--eventHandler.url=" + bot.url(),
                    "--eventHandler.secret=" + secret, "--db.url=" + jdbc, "--db.user=" + pg.user(),
                    "--status.intervalSeconds=0", "--api.port=0", "--spawnShardDelay=" + identifyMs, "--totalShards=" + shards);
            cold = timeToReady(settings);
            resumed = timeToReady(settings);
            try (Connection c = DriverManager.getConnection(jdbc, pg.user(), ""); Statement st = c.createStatement()) {
                st.execute("DELETE FROM gatehouse_session");
            }
            reidentified = timeToReady(settings);
            System.out.printf("%nstartup benchmark: %d shards, max_concurrency %d, identify interval %d ms, %d guilds%n",
                    shards, concurrency, identifyMs, guilds);
            System.out.printf("  cold start (every shard identifies):          %7.1f s to all READY and loaded%n", cold);
            System.out.printf("  restart resuming the stored sessions:         %7.1f s%n", resumed);
            System.out.printf("  restart with sessions wiped (re-identify):    %7.1f s  (%.0fx the resuming restart)%n",
                    reidentified, reidentified / resumed);
            System.out.printf("  simulator: %d identifies, %d resumes, %d identify-bucket violations%n",
                    sim.identifies(), sim.resumes(), sim.bucketViolations());
            System.out.printf("  machine: %d cores, Java %s; command: ./run.sh bench startup %s%n",
                    Runtime.getRuntime().availableProcessors(), Runtime.version(), String.join(" ", args));
        }
        return 0;
    }

    /** Starts Gatehouse, waits for every shard READY with all guilds loaded, stops it gracefully; seconds taken. */
    private static double timeToReady(List<String> settings) throws Exception {
        long t0 = System.nanoTime();
        Gatehouse g = Gatehouse.start(ConfigLoader.load(new ArrayList<>(settings), Map.of()));
        try {
            while (!g.shards().statuses().stream().allMatch(s -> s.ready() && s.guildsLoaded() == s.guilds())) {
                Thread.sleep(50);
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            g.close(10_000);
        }
    }
}
