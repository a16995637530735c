package dev.gatehouse;

import com.lmax.disruptor.EventHandler;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.delivery.Forwarder;
import dev.gatehouse.delivery.Overflow;
import dev.gatehouse.pipeline.Controllers;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.EventRing;
import dev.gatehouse.pipeline.GatewayFilters;
import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.pipeline.Session;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code ./run.sh bench spill}: the durable spill on its own, with the real ring, forwarder, spill files and an
 * HTTP bot on loopback. Phase 1 queues N events while the bot answers 503, once held in memory only
 * ({@code delivery.maxSpilledBytes=0}) and once spilled to disk; the CPU and wall time of the two give the
 * cost of spilling. Phase 2 brings the bot back and measures how fast the spill drains, in order, in batches.
 * Phase 3 writes the same envelopes to a PostgreSQL outbox with COPY, the alternative the spill files beat.
 * Options: {@code --events=300000 --batchSize=500 --connections=4 --bytes=700}.
 */
final class SpillBench {
    private SpillBench() {
    }

    /** A bot that answers 503 while down and 204 otherwise, counting the events it took. */
    private static final class Bot implements AutoCloseable {
        final HttpServer server;
        volatile boolean down = true;
        final LongAdder requests = new LongAdder();

        Bot() throws java.io.IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
            server.createContext("/", ex -> {
                try (ex; InputStream in = ex.getRequestBody()) {
                    in.readAllBytes();
                    requests.increment();
                    ex.sendResponseHeaders(down ? 503 : 204, -1);
                }
            });
            server.setExecutor(Executors.newFixedThreadPool(8));
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/events");
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static final class NoState implements EventHandler<Dispatch> {
        @Override
        public void onEvent(Dispatch d, long sequence, boolean endOfBatch) {
        }
    }

    record Phase(double seconds, double cpuSeconds, long events) {
        double rate() {
            return events / seconds;
        }

        double cpuMicrosPerEvent() {
            return cpuSeconds / events * 1e6;
        }
    }

    static int run(List<String> args) throws Exception {
        int events = 300_000, batch = 500, connections = 4, bytes = 700;
        for (String a : args) {
            String[] kv = a.startsWith("--") && a.contains("=") ? a.substring(2).split("=", 2) : new String[] {a, ""};
            switch (kv[0]) {
                case "events" -> events = Integer.parseInt(kv[1]);
                case "batchSize" -> batch = Integer.parseInt(kv[1]);
                case "connections" -> connections = Integer.parseInt(kv[1]);
                case "bytes" -> bytes = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("bench spill: unknown option " + a
                        + " (expected --events, --batchSize, --connections, --bytes)");
            }
        }
        byte[] frame = frame(bytes);
        Phase memory = queue(events, batch, connections, frame, false).queued;
        Result spill = queue(events, batch, connections, frame, true);
        Phase outbox = outbox(events, frame);
        System.out.println();
        System.out.println("gatehouse bench spill: ring -> forwarder -> memory or spill files -> HTTP bot on loopback");
        System.out.printf("machine: %d cores, %s %s, Java %s (%s)%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"),
                System.getProperty("java.vm.name"));
        System.out.printf("command: ./run.sh bench spill %s%n", String.join(" ", args));
        System.out.printf("events: %d of %d bytes (frame), %d shards, batchSize %d, %d connections; bot answering 503 meanwhile%n",
                events, frame.length, 16, batch, connections);
        System.out.printf("held in memory (maxSpilledBytes=0): %.0f events/s, %.2f us cpu per event%n", memory.rate(),
                memory.cpuMicrosPerEvent());
        System.out.printf("spilled to disk (fsync per ring batch): %.0f events/s, %.2f us cpu per event, %.1f MiB on disk"
                        + " (%.0f bytes per event); cpu ratio spill/memory %.2f%n", spill.queued.rate(), spill.queued.cpuMicrosPerEvent(),
                spill.diskBytes / 1048576.0, (double) spill.diskBytes / events,
                spill.queued.cpuMicrosPerEvent() / memory.cpuMicrosPerEvent());
        System.out.printf("the alternative, a PostgreSQL outbox written with COPY (1000 rows per transaction, the embedded"
                        + " server): %.0f events/s, %.2f us cpu per event in this JVM (PostgreSQL's own cpu not counted);"
                        + " spill files / outbox rate %.2f%n", outbox.rate(), outbox.cpuMicrosPerEvent(), spill.queued.rate() / outbox.rate());
        System.out.printf("drained from the spill after the outage: %.0f events/s (%d events in %.2f s, %.2f us cpu per event)%n", spill.drained.rate(), spill.drained.events(), spill.drained.seconds(),
                spill.drained.cpuMicrosPerEvent());
        return 0;
    }

    record Result(Phase queued, Phase drained, long diskBytes) {
    }

    private static Result queue(int events, int batch, int connections, byte[] frame, boolean spill) throws Exception {
        Path dir = Files.createTempDirectory("gatehouse-spillbench-");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (Bot bot = new Bot()) {
            PGSimpleDataSource unused = new PGSimpleDataSource(); // dead letters only: the bench bot refuses nothing
            Forwarder f = new Forwarder(new Forwarder.Settings(bot.url(), "bench-secret", spill ? 1_000 : events + 1000,
                    spill ? 1L << 20 : Long.MAX_VALUE, dir, spill ? Long.MAX_VALUE : 0, Overflow.BLOCK, batch, batch, connections, 10_000),
                    Handled.none(), unused, GatewayFilters.none(), Controllers.none());
            EventRing ring = new EventRing(65_536, new NoState(), f, false);
            Session[] sessions = new Session[16];
            for (int i = 0; i < sessions.length; i++) {
                sessions[i] = new Session("bench-session-" + i, "ws://bench", 16, "ws://bench");
            }
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            for (int i = 0; i < events; i++) {
                int shard = i % 16;
                ring.publish(shard, sessions[shard], i / 16 + 1, "MESSAGE_CREATE", 0, frame, 0, frame.length, System.nanoTime());
            }
            await(() -> spill ? f.spilledEvents() + f.queuedInMemory() >= events && f.queuedInMemory() < 2_000
                    : f.queuedInMemory() >= events);
            Phase queued = new Phase((System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - cpu0) / 1e9, events);
            long disk;
            try (var tree = Files.walk(dir)) {
                disk = tree.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            Phase drained = new Phase(1, 0, 0);
            if (spill) {
                long delivered0 = f.delivered();
                cpu0 = os.getProcessCpuTime();
                t0 = System.nanoTime();
                bot.down = false;
                await(() -> f.queued() == 0);
                drained = new Phase((System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - cpu0) / 1e9, f.delivered() - delivered0);
            }
            ring.shutdown(1_000);
            f.close(0);
            return new Result(queued, drained, disk);
        } finally {
            try (var tree = Files.walk(dir)) {
                tree.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * The same envelopes appended to a PostgreSQL outbox table with pgjdbc's CopyManager, 1000 rows per
     * transaction (a ring batch), on a fresh embedded server: the write path an outbox spill would have.
     */
    private static Phase outbox(int events, byte[] frame) throws Exception {
        Path data = Files.createTempDirectory("gatehouse-spillbench-pg-");
        data.toFile().setExecutable(true, false);
        data.toFile().setReadable(true, false);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (dev.gatehouse.state.EmbeddedPostgres pg = dev.gatehouse.state.EmbeddedPostgres.start(data.resolve("pg"), 0)) {
            pg.createDatabase("outbox");
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(pg.jdbcUrl("outbox"), pg.user(), "")) {
                try (java.sql.Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE outbox (id bigserial PRIMARY KEY, shard_id integer NOT NULL, session_id text NOT NULL,"
                            + " seq bigint NOT NULL, type text NOT NULL, event bytea NOT NULL)");
                }
                c.setAutoCommit(false);
                var copy = c.unwrap(org.postgresql.PGConnection.class).getCopyAPI();
                String hex = "\\\\x" + java.util.HexFormat.of().formatHex(frame);
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                StringBuilder rows = new StringBuilder();
                for (int i = 0; i < events; i++) {
                    rows.append(i % 16).append('\t').append("bench-session-").append(i % 16).append('\t').append(i / 16 + 1)
                            .append("\tMESSAGE_CREATE\t").append(hex).append('\n');
                    if ((i + 1) % 1000 == 0 || i == events - 1) {
                        byte[] b = rows.toString().getBytes(StandardCharsets.UTF_8);
                        copy.copyIn("COPY outbox (shard_id, session_id, seq, type, event) FROM STDIN", new java.io.ByteArrayInputStream(b));
                        c.commit();
                        rows.setLength(0);
                    }
                }
                return new Phase((System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - cpu0) / 1e9, events);
            }
        } finally {
            try (var tree = Files.walk(data)) {
                tree.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void await(BooleanSupplier done) throws InterruptedException {
        while (!done.getAsBoolean()) {
            Thread.sleep(5);
        }
    }

    /** A MESSAGE_CREATE-like gateway frame of about {@code bytes} bytes. */
    private static byte[] frame(int bytes) {
        String head = "{\"op\":0,\"s\":1,\"t\":\"MESSAGE_CREATE\",\"d\":{\"id\":\"1234567890123456789\",\"channel_id\":\"1\","
                + "\"guild_id\":\"2\",\"content\":\"";
        String tail = "\"}}";
        return (head + "x".repeat(Math.max(0, bytes - head.length() - tail.length())) + tail).getBytes(StandardCharsets.UTF_8);
    }
}
