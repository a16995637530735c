package dev.gatehouse;

import dev.gatehouse.config.Config;
import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.delivery.LatencyHistogram;
import dev.gatehouse.sim.SampleBot;
import dev.gatehouse.sim.SimOptions;
import dev.gatehouse.sim.Simulator;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The end-to-end benchmark ({@code ./run.sh bench}): the simulator's firehose through Gatehouse into a fresh
 * embedded PostgreSQL and the sample bot, for a fixed time after a warm-up. Prints what it measured, the
 * machine and the command. Options: {@code --seconds=30 --warmup=10 --rate=20000 --shards=4 --guilds=2000},
 * and any Gatehouse key as {@code --key=value}.
 */
final class Bench {
    private Bench() {
    }

    static int run(List<String> args) throws Exception {
        if (!args.isEmpty() && "startup".equals(args.get(0))) {
            return StartupBench.run(args.subList(1, args.size()));
        }
        if (!args.isEmpty() && "reshard".equals(args.get(0))) {
            return ReshardBench.run(args.subList(1, args.size()));
        }
        if (!args.isEmpty() && "spill".equals(args.get(0))) {
            return SpillBench.run(args.subList(1, args.size()));
        }
        if (!args.isEmpty() && "load".equals(args.get(0))) {
            return dev.gatehouse.bench.LoadBench.run(args.subList(1, args.size()));
        }
        if (!args.isEmpty() && "api".equals(args.get(0))) {
            return ApiBench.run(args.subList(1, args.size()));
        }
        if (!args.isEmpty() && "peers".equals(args.get(0))) {
            return dev.gatehouse.bench.PeersBench.run(args.subList(1, args.size()));
        }
        if (!args.isEmpty() && "train".equals(args.get(0))) {
            return train(args.subList(1, args.size()));
        }
        int seconds = 30, warmup = 10, rate = 20_000, shards = 4, guilds = 2000;
        List<String> gatehouseArgs = new ArrayList<>();
        for (String a : args) {
            String[] kv = a.startsWith("--") && a.contains("=") ? a.substring(2).split("=", 2) : new String[] {a, ""};
            switch (kv[0]) {
                case "seconds" -> seconds = Integer.parseInt(kv[1]);
                case "warmup" -> warmup = Integer.parseInt(kv[1]);
                case "rate" -> rate = Integer.parseInt(kv[1]);
                case "shards" -> shards = Integer.parseInt(kv[1]);
                case "guilds" -> guilds = Integer.parseInt(kv[1]);
                default -> gatehouseArgs.add(a);
            }
        }
        Path data = Files.createTempDirectory("gatehouse-bench-");
        data.toFile().setExecutable(true, false);
        data.toFile().setReadable(true, false);
        String secret = "bench-secret";
        SimOptions simOptions = SimOptions.defaults().withWorld(shards, guilds, 1000).withTraffic(rate)
                .withToken("bench-token").withTruth(false);
        try (Simulator sim = new Simulator(simOptions); SampleBot bot = new SampleBot(secret)) {
            List<String> all = new ArrayList<>(List.of("--config=" + Files.createTempFile(data, "empty", ".properties"),
                    "--discord.token=bench-token", "--rest.url=" + sim.restUrl(), "--eventHandler.url=" + bot.url(),
                    "--eventHandler.secret=" + secret, "--db.dataDir=" + data.resolve("postgres"),
                    "--delivery.spillDir=" + data.resolve("spill"), "--state.journalDir=" + data.resolve("state-journal"),
                    "--status.intervalSeconds=0", "--api.port=0"));
            all.addAll(gatehouseArgs);
            Config config = ConfigLoader.load(all, Map.of());
            Gatehouse g = Gatehouse.start(config);
            long loadStart = System.nanoTime();
            while (!g.shards().statuses().stream().allMatch(s -> s.ready() && s.guildsLoaded() == s.guilds())) {
                Thread.sleep(100);
            }
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            // the GUILD_CREATEs must also be stored and delivered before the traffic starts, or their backlog
            // (over 100,000 rows) lands in the measured window as latency
            while (g.delivery().delivered() < g.dispatches() || g.delivery().queued() > 0) {
                Thread.sleep(100);
            }
            double storedSeconds = (System.nanoTime() - loadStart) / 1e9;
            sim.startTraffic();
            Thread.sleep(warmup * 1000L);
            LatencyHistogram latency = g.delivery().latency();
            LatencyHistogram reached = g.delivery().reachedDelivery();
            latency.reset();
            reached.reset();
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long delivered0 = g.delivery().delivered();
            long received0 = g.dispatches();
            long rows0 = g.state().rowsWritten();
            Mechanism m0 = Mechanism.of(g);
            long t0 = System.nanoTime();
            long peakHeap = 0;
            while (System.nanoTime() - t0 < seconds * 1_000_000_000L) {
                Thread.sleep(200);
                long used = 0;
                for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (p.getType() == MemoryType.HEAP) {
                        used += p.getUsage().getUsed();
                    }
                }
                peakHeap = Math.max(peakHeap, used);
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long delivered = g.delivery().delivered() - delivered0;
            long received = g.dispatches() - received0;
            long rows = g.state().rowsWritten() - rows0;
            Mechanism m = Mechanism.of(g).minus(m0);
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            long p50 = latency.quantileMicros(0.50);
            long p99 = latency.quantileMicros(0.99);
            long reachedP50 = reached.quantileMicros(0.50);
            long reachedP99 = reached.quantileMicros(0.99);
            sim.stopTraffic();
            String summary = g.close(10_000);
            System.out.println();
            System.out.println("gatehouse bench: simulator firehose -> gatehouse -> embedded PostgreSQL + sample bot");
            System.out.printf("machine: %d cores, %s %s, Java %s (%s)%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"),
                    System.getProperty("java.vm.name"));
            System.out.printf("command: ./run.sh bench %s%n", String.join(" ", args));
            System.out.printf("world: %d shards, %d guilds; offered rate %d events/s; %d s measured after %d s warm-up%n",
                    shards, guilds, rate, seconds, warmup);
            System.out.printf("startup: all %d guilds loaded %.1f s after the shards started, stored and delivered after %.1f s%n",
                    guilds, loadSeconds, storedSeconds);
            System.out.printf("received from the gateway: %.0f events/s (%d events)%n", received / elapsed, received);
            System.out.printf("delivered to the bot: %.0f events/s (%d events)%n", delivered / elapsed, delivered);
            System.out.printf("latency frame arrival -> bot 2xx: p50 %.1f ms, p99 %.1f ms%n", p50 / 1000.0, p99 / 1000.0);
            System.out.printf("  of which frame arrival -> delivery consumer (ring%s): p50 %.1f ms, p99 %.1f ms;"
                            + " the rest is the lanes and the POST%n", config.deliveryAfterState() ? " and the state writer's commit" : "",
                    reachedP50 / 1000.0, reachedP99 / 1000.0);
            System.out.printf("database: %.0f rows/s%n", rows / elapsed);
            System.out.printf("state writer: %.0f transactions/s, %.2f events per transaction, %.2f round trips per transaction,"
                            + " %.0f%% written on the consumer thread, %.0f lingers/s (state.lingerMs=%d), %.0f of them busy"
                            + " (state.busyLingerMs=%d)%n",
                    m.flushes() / elapsed, ratio(m.stored(), m.flushes()), ratio(m.roundTrips(), m.flushes()),
                    100 * ratio(m.writtenHere(), m.flushes()), m.stateLingers() / elapsed, config.lingers().stateMs(),
                    m.busyLingers() / elapsed, config.lingers().stateBusyMs());
            System.out.printf("delivery: %.0f POSTs/s, %.2f events per POST, %.0f lingers/s (delivery.lingerMs=%d)%n",
                    m.posts() / elapsed, ratio(m.posted(), m.posts()), m.deliveryLingers() / elapsed, config.lingers().deliveryMs());
            System.out.printf("peak heap: %d MiB%n", peakHeap >> 20);
            System.out.printf("cpu: %.1f s per million received events (this JVM: gatehouse + simulator + sample bot;"
                    + " PostgreSQL excluded)%n", received == 0 ? 0 : cpu / received * 1e6);
            System.out.println("gatehouse: " + summary);
            System.out.println("bot: received " + bot.events() + " events");
        } finally {
            deleteTree(data);
        }
        return 0;
    }

    /**
     * {@code bench train}: the run that run.sh records the JVM's AOT cache from (JDK 25+), so the cache holds the
     * classes and method profiles of both paths a gateway lives on: the initial load (300 guilds' GUILD_CREATEs into
     * the state and to the bot) and then the steady state, a short firehose through the ring, the state writer's
     * transactions and delivery's POSTs to a bot: {@code bench --seconds=5 --warmup=2 --rate=3000 --shards=2
     * --guilds=300}, with any extra {@code --key=value} after them.
     */
    static int train(List<String> extra) throws Exception {
        List<String> firehose = new ArrayList<>(List.of("--seconds=5", "--warmup=2", "--rate=3000", "--shards=2", "--guilds=300"));
        firehose.addAll(extra);
        return run(firehose);
    }

    private static double ratio(long a, long b) {
        return b == 0 ? 0 : (double) a / b;
    }

    /** The counters that say how the writer and delivery batch, whatever the machine's load. */
    private record Mechanism(long flushes, long stored, long roundTrips, long writtenHere, long stateLingers, long busyLingers,
                             long posts, long posted, long deliveryLingers) {
        static Mechanism of(Gatehouse g) {
            return new Mechanism(g.state().flushes(), g.state().eventsStored(), g.state().roundTrips(),
                    g.state().flushesWrittenHere(), g.stateLingers(), g.stateBusyLingers(), g.delivery().posts(),
                    g.delivery().eventsPosted(), g.delivery().lingers());
        }

        Mechanism minus(Mechanism o) {
            return new Mechanism(flushes - o.flushes, stored - o.stored, roundTrips - o.roundTrips, writtenHere - o.writtenHere,
                    stateLingers - o.stateLingers, busyLingers - o.busyLingers, posts - o.posts, posted - o.posted,
                    deliveryLingers - o.deliveryLingers);
        }
    }

    static void deleteTree(Path p) {
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (java.io.IOException ignored) {
            // a temp dir; the OS cleans it eventually
        }
    }
}
