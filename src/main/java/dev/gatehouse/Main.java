package dev.gatehouse;

import dev.gatehouse.config.Config;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.config.Secret;
import dev.gatehouse.sim.GuildChurn;
import dev.gatehouse.sim.SampleBot;
import dev.gatehouse.sim.SimOptions;
import dev.gatehouse.sim.SimSetup;
import dev.gatehouse.sim.Simulator;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The command line: {@code gatehouse [run] [--key=value ...]} runs the gateway (or, with no
 * {@code discord.token}, the self-contained demo); {@code gatehouse simulate [...]} runs the simulator alone;
 * {@code gatehouse bench [...]} runs the end-to-end benchmark; {@code gatehouse reshard [--shards=N]} asks a running
 * process for a reshard through its HTTP API. Exit 2 for bad configuration.
 */
public final class Main {
    /** Exit code for bad configuration or arguments. */
    public static final int EXIT_CONFIG = 2;

    private Main() {
    }

    public static void main(String[] args) {
        Logging.configure();
        List<String> rest = Arrays.asList(args);
        String command = "run";
        if (!rest.isEmpty() && !rest.get(0).startsWith("--")) {
            command = rest.get(0);
            rest = rest.subList(1, rest.size());
        }
        int code;
        try {
            code = switch (command) {
                case "run" -> run(ConfigLoader.load(rest, System.getenv()));
                case "simulate" -> simulate(SimOptions.parse(SimSetup.others(rest)), SimSetup.parse(rest));
                case "bench" -> Bench.run(rest);
                case "simbench" -> SimBench.run(rest);
                case "reshard" -> ReshardCommand.run(rest, System.getenv(), System.out);
                default -> {
                    // echo only what looks like a mistyped command word: anything else may be a secret given bare
                    String shown = command.matches("[a-z]{1,20}") ? "unknown command '" + command + "'"
                            : command.contains("=") ? "unknown command '" + ConfigLoader.argumentName(command) + "'"
                            : "the first argument is not a command (not shown: it may be a secret)";
                    System.err.println("gatehouse: " + shown + "; expected run, simulate, bench, simbench or reshard (settings are --key=value)");
                    yield EXIT_CONFIG;
                }
            };
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("gatehouse: " + e.getMessage());
            code = EXIT_CONFIG;
        } catch (Exception e) {
            System.err.println("gatehouse: failed: " + e.getMessage());
            System.getLogger(Main.class.getName()).log(System.Logger.Level.DEBUG, "failure", e);
            code = 1;
        }
        System.exit(code);
    }

    /** Waits for Ctrl-C / SIGTERM or the duration, whichever comes first. */
    static void awaitStop(long durationSeconds) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        for (String sig : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> stop.countDown());
            } catch (IllegalArgumentException unsupported) {
                // not on this platform: the default handler ends the JVM
            }
        }
        if (durationSeconds > 0) {
            stop.await(durationSeconds, TimeUnit.SECONDS);
        } else {
            stop.await();
        }
    }

    static int run(Config config) throws Exception {
        Gatehouse.intentsOf(config);
        if (!config.demo()) {
            Gatehouse g = Gatehouse.start(config);
            return runUntilStopped(g, config, null);
        }
        return runDemo(config);
    }

    private static int runDemo(Config config) throws Exception {
        System.err.println("gatehouse: no discord.token configured: running the demo (simulated Discord, embedded"
                + " PostgreSQL, sample bot). Set discord.token to connect to Discord.");
        String token = "demo-" + UUID.randomUUID();
        String secret = "demo-" + UUID.randomUUID();
        SimOptions sim = SimOptions.defaults().withWorld(config.demoShards(), config.demoGuilds(), 1000)
                .withTraffic(config.demoEventsPerSecond()).withToken(token).withTruth(false)
                .withChurn(new GuildChurn(6, 2, 2, 20_000)); // the bot joins, leaves and sees outages, as on Discord
        try (Simulator simulator = new Simulator(sim); SampleBot bot = new SampleBot(secret)) {
            Config demo = config.withUpstream(URI.create(simulator.restUrl()), new Secret(token))
                    .withEventHandler(URI.create(bot.url()), new Secret(secret));
            Gatehouse g = Gatehouse.start(demo);
            simulator.startTraffic();
            g.apiUrl().ifPresent(url -> {
                System.err.println("gatehouse: HTTP API and status page at " + url + "/ (routes in README.md)");
                bot.talkTo(url, config.apiSecret().reveal());
            });
            return runUntilStopped(g, config, () -> "sample bot received " + bot.events() + " events; simulator sent "
                    + simulator.dispatched() + " dispatches");
        }
    }

    private static int runUntilStopped(Gatehouse g, Config config, java.util.function.Supplier<String> extra) throws Exception {
        StatusLine status = new StatusLine(g, config.statusIntervalSeconds());
        awaitStop(config.durationSeconds());
        status.close();
        System.err.println("gatehouse: stopping: closing shards (resumable), flushing state, draining delivery");
        String summary = g.close(10_000);
        System.err.println("gatehouse: " + summary);
        if (extra != null) {
            System.err.println("gatehouse: " + extra.get());
        }
        return 0;
    }

    static int simulate(SimOptions options, SimSetup setup) throws Exception {
        SimOptions o = options.port() == 0 ? options.withPort(8990) : options;
        try (Simulator sim = new Simulator(o, setup)) {
            System.err.println("simulator: REST " + sim.restUrl() + ", gateway " + sim.gatewayUrl() + ", token '" + o.token()
                    + "' (a simulated token, not a secret); Ctrl-C stops");
            sim.startTraffic();
            awaitStop(0);
        }
        return 0;
    }

    /** Prints the status line every few seconds on its own thread. */
    static final class StatusLine implements AutoCloseable {
        private final Thread thread;

        StatusLine(Gatehouse g, int intervalSeconds) {
            thread = Thread.ofPlatform().daemon(true).name("gatehouse-status").start(() -> {
                if (intervalSeconds <= 0) {
                    return;
                }
                long lastCount = g.eventsPublished();
                long lastTime = System.nanoTime();
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        Thread.sleep(intervalSeconds * 1000L);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long count = g.eventsPublished();
                    long now = System.nanoTime();
                    double rate = (count - lastCount) / ((now - lastTime) / 1e9);
                    lastCount = count;
                    lastTime = now;
                    System.err.println("status: " + g.statusLine(rate));
                }
            });
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }
}
