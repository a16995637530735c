package dev.gatehouse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The simulator's own benchmark ({@code ./run.sh simbench}): how many dispatches per second the simulator pushes
 * over loopback with zlib-stream (or zstd-stream) to clients that only decompress and discard. The simulator
 * runs as its own process ({@code gatehouse simulate}) pinned to core 0 with {@code taskset} and this client JVM
 * is pinned to core 1, so the figure is the simulator's on one core; its process CPU time per 10⁶ dispatches is
 * reported too. Options: {@code --seconds=20 --warmup=5 --shards=4 --guilds=2000 --rate=1000000
 * --compress=zlib-stream|zstd-stream}, and {@code --jfr=file} to record the simulator with Java Flight Recorder.
 */
final class SimBench {
    private static final String TOKEN = "simbench-token";
    private static final int MESSAGE_CONTENT_AND_GUILDS = 1 | 512 | 32768;

    private SimBench() {
    }

    static int run(List<String> args) throws Exception {
        int seconds = 20, warmup = 5, shards = 4, guilds = 2000, rate = 1_000_000;
        String jfr = null;
        String compress = "zlib-stream";
        int cores = Runtime.getRuntime().availableProcessors();
        for (String a : args) {
            String[] kv = a.startsWith("--") && a.contains("=") ? a.substring(2).split("=", 2) : new String[] {a, ""};
            switch (kv[0]) {
                case "seconds" -> seconds = positive(kv);
                case "warmup" -> warmup = positive(kv);
                case "shards" -> shards = positive(kv);
                case "guilds" -> guilds = positive(kv);
                case "rate" -> rate = positive(kv);
                case "jfr" -> jfr = kv[1];
                case "compress" -> {
                    if (!kv[1].equals("zlib-stream") && !kv[1].equals("zstd-stream")) {
                        throw new IllegalArgumentException("simbench: --compress expects zlib-stream or zstd-stream, got '" + kv[1] + "'");
                    }
                    compress = kv[1];
                }
                default -> throw new IllegalArgumentException("simbench: unknown option '" + a
                        + "' (options: --seconds, --warmup, --shards, --guilds, --rate, --compress, --jfr=file)");
            }
        }
        boolean pinned = cores >= 2 && Files.isExecutable(Path.of("/usr/bin/taskset"));
        if (pinned) {
            pin(ProcessHandle.current().pid(), 1);
        }
        int port = freePort();
        List<String> command = new ArrayList<>();
        if (pinned) {
            command.addAll(List.of("/usr/bin/taskset", "-c", "0"));
        }
        String jar = Path.of(SimBench.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        if (jfr != null) {
            command.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile");
        }
        command.addAll(List.of("-Xmx2g", "-cp", jar,
                Main.class.getName(), "simulate", "--port=" + port, "--shards=" + shards, "--guilds=" + guilds,
                "--eventsPerSecond=" + rate, "--token=" + TOKEN));
        Process sim = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            awaitListening(sim);
            List<Client> clients = new ArrayList<>();
            HttpClient http = HttpClient.newHttpClient();
            for (int shard = 0; shard < shards; shard++) {
                clients.add(Client.connect(http, port, shard, shards, compress));
            }
            Thread.sleep(warmup * 1000L);
            var self = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long clientCpu0 = self.getProcessCpuTime();
            long cpu0 = cpuNanos(sim);
            long count0 = total(clients);
            long bytes0 = inflated(clients);
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long count = total(clients) - count0;
            long bytes = inflated(clients) - bytes0;
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double cpu = (cpuNanos(sim) - cpu0) / 1e9;
            double clientCpu = (self.getProcessCpuTime() - clientCpu0) / 1e9;
            for (Client c : clients) {
                c.close();
            }
            double perSecond = count / elapsed;
            double cpuPerMillion = count == 0 ? 0 : cpu / count * 1e6;
            System.out.println();
            System.out.println("gatehouse simbench: simulator -> loopback WebSocket, " + compress
                    + " -> clients that decompress and discard");
            System.out.printf("machine: %d cores, %s %s, Java %s (%s)%n", cores,
                    System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"),
                    System.getProperty("java.vm.name"));
            System.out.printf("command: ./run.sh simbench %s%n", String.join(" ", args));
            System.out.printf("simulator: its own JVM%s; %d shards, %d guilds, offered rate %d/s; %d s measured after %d s warm-up%n",
                    pinned ? " pinned to core 0 (taskset -c 0), clients pinned to core 1" : " (not pinned: no taskset or one core)",
                    shards, guilds, rate, seconds, warmup);
            System.out.printf("received: %.0f dispatches/s (%d dispatches, %.0f inflated bytes each)%n", perSecond, count,
                    count == 0 ? 0.0 : (double) bytes / count);
            System.out.printf("simulator cpu: %.1f s in %.1f s (%.0f%% of one core); %.2f s per million dispatches"
                    + " = %.0f dispatches/s per fully used core%n", cpu, elapsed, cpu / elapsed * 100, cpuPerMillion,
                    cpuPerMillion == 0 ? 0.0 : 1e6 / cpuPerMillion);
            System.out.printf("client cpu: %.1f s (%.0f%% of one core): near 100%% means the client, not the simulator, set the pace%n",
                    clientCpu, clientCpu / elapsed * 100);
        } finally {
            sim.destroy();
            if (!sim.waitFor(10, TimeUnit.SECONDS)) {
                sim.destroyForcibly();
            }
        }
        return 0;
    }

    private static int positive(String[] kv) {
        try {
            int n = Integer.parseInt(kv[1]);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("simbench: --" + kv[0] + " expects a positive whole number, got '" + kv[1] + "'");
    }

    /** Pins every thread of a process to one core (new threads inherit it). */
    private static void pin(long pid, int core) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/usr/bin/taskset", "-a", "-p", "-c", Integer.toString(core), Long.toString(pid))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) {
            throw new IOException("taskset could not pin process " + pid + " to core " + core);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Reads the simulator's output until it listens, then drains the rest on a daemon thread. */
    private static void awaitListening(Process sim) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(sim.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("simulator: REST")) {
                Thread.ofPlatform().daemon(true).start(() -> {
                    try {
                        while (out.readLine() != null) {
                            // discarded: the simulator logs each identify
                        }
                    } catch (IOException ignored) {
                        // the simulator ended
                    }
                });
                return;
            }
        }
        throw new IOException("the simulator process ended before listening (exit " + sim.exitValue() + ")");
    }

    private static long cpuNanos(Process p) {
        return p.toHandle().info().totalCpuDuration().map(Duration::toNanos)
                .orElseThrow(() -> new IllegalStateException("the OS does not report the simulator's CPU time"));
    }

    private static long total(List<Client> clients) {
        return clients.stream().mapToLong(c -> c.dispatches.get()).sum();
    }

    private static long inflated(List<Client> clients) {
        return clients.stream().mapToLong(c -> c.inflatedBytes.get()).sum();
    }

    /** One shard's connection: identifies, heartbeats, inflates every message and counts the dispatches. */
    private static final class Client implements WebSocket.Listener {
        final AtomicLong dispatches = new AtomicLong();
        final AtomicLong inflatedBytes = new AtomicLong();
        private final Inflater inflater = new Inflater();
        /** The connection's zstd context when the stream is zstd-stream, else null. */
        private final com.github.luben.zstd.ZstdDecompressCtx zstd;
        private ByteBuffer zstdIn = ByteBuffer.allocateDirect(64 * 1024);
        private ByteBuffer zstdOut = ByteBuffer.allocateDirect(256 * 1024);
        private final int shard;
        private final int shards;
        private final CountDownLatch ready = new CountDownLatch(1);
        private byte[] in = new byte[64 * 1024];
        private int inLength;
        private byte[] out = new byte[256 * 1024];
        private WebSocket socket;
        private Thread heartbeat;

        private Client(int shard, int shards, boolean zstd) {
            this.shard = shard;
            this.shards = shards;
            this.zstd = zstd ? new com.github.luben.zstd.ZstdDecompressCtx() : null;
        }

        static Client connect(HttpClient http, int port, int shard, int shards, String compress) throws Exception {
            Client c = new Client(shard, shards, compress.equals("zstd-stream"));
            c.socket = http.newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/?v=10&encoding=json&compress=" + compress), c)
                    .get(30, TimeUnit.SECONDS);
            if (!c.ready.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("shard " + shard + " got no READY from the simulator within 60 s");
            }
            return c;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            int n = data.remaining();
            if (inLength + n > in.length) {
                in = java.util.Arrays.copyOf(in, Math.max(in.length * 2, inLength + n));
            }
            data.get(in, inLength, n);
            inLength += n;
            if (last && zstd != null) {
                message(ws, decompress());
                inLength = 0;
            } else if (last && inLength >= 4 && in[inLength - 1] == (byte) 0xff && in[inLength - 2] == (byte) 0xff
                    && in[inLength - 3] == 0 && in[inLength - 4] == 0) {
                message(ws, inflate());
                inLength = 0;
            }
            ws.request(1);
            return null;
        }

        private int inflate() {
            inflater.setInput(in, 0, inLength);
            int length = 0;
            try {
                while (true) {
                    if (length == out.length) {
                        out = java.util.Arrays.copyOf(out, out.length * 2);
                    }
                    int got = inflater.inflate(out, length, out.length - length);
                    length += got;
                    if (got == 0 && inflater.needsInput()) {
                        return length;
                    }
                }
            } catch (DataFormatException e) {
                throw new IllegalStateException("shard " + shard + ": the simulator sent a broken zlib stream", e);
            }
        }

        /** zstd-stream: every WebSocket message is one flushed piece of the connection's stream. */
        private int decompress() {
            if (zstdIn.capacity() < inLength) {
                zstdIn = ByteBuffer.allocateDirect(Math.max(zstdIn.capacity() * 2, inLength));
            }
            zstdIn.clear();
            zstdIn.put(in, 0, inLength).flip();
            zstdOut.clear();
            do {
                if (!zstdOut.hasRemaining()) {
                    ByteBuffer bigger = ByteBuffer.allocateDirect(zstdOut.capacity() * 2);
                    zstdOut.flip();
                    zstdOut = bigger.put(zstdOut);
                }
                zstd.decompressDirectByteBufferStream(zstdOut, zstdIn);
            } while (zstdIn.hasRemaining() || !zstdOut.hasRemaining());
            int length = zstdOut.position();
            if (out.length < length) {
                out = new byte[Math.max(out.length * 2, length)];
            }
            zstdOut.flip().get(out, 0, length);
            return length;
        }

        /** Dispatches start {"t":"TYPE" (the simulator's field order); Hello and ACKs start {"t":null. */
        private void message(WebSocket ws, int length) {
            inflatedBytes.addAndGet(length);
            if (length > 6 && out[5] == '"') {
                dispatches.incrementAndGet();
                if (ready.getCount() > 0 && new String(out, 0, Math.min(length, 40), StandardCharsets.US_ASCII).contains("READY")) {
                    ready.countDown();
                }
                return;
            }
            String text = new String(out, 0, length, StandardCharsets.UTF_8);
            if (text.contains("\"op\":10")) {
                long interval = Long.parseLong(text.replaceAll(".*\"heartbeat_interval\":(\\d+).*", "$1"));
                ws.sendText("{\"op\":2,\"d\":{\"token\":\"" + TOKEN + "\",\"intents\":" + MESSAGE_CONTENT_AND_GUILDS
                        + ",\"properties\":{\"os\":\"linux\",\"browser\":\"simbench\",\"device\":\"simbench\"},\"shard\":["
                        + shard + "," + shards + "]}}", true);
                heartbeat = Thread.ofPlatform().daemon(true).name("simbench-heartbeat-" + shard).start(() -> {
                    try {
                        while (true) {
                            Thread.sleep(interval);
                            ws.sendText("{\"op\":1,\"d\":null}", true);
                        }
                    } catch (InterruptedException stop) {
                        // closing
                    }
                });
            }
        }

        void close() {
            if (heartbeat != null) {
                heartbeat.interrupt();
            }
            socket.sendClose(1000, "benchmark over").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null);
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            return CompletableFuture.completedFuture(null);
        }
    }
}
