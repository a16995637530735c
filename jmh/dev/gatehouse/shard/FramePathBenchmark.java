package dev.gatehouse.shard;

import com.lmax.disruptor.EventHandler;
import dev.gatehouse.Fixtures;
import dev.gatehouse.discord.FrameHeader;
import dev.gatehouse.discord.JacksonFrameHeader;
import net.dv8tion.jda.api.utils.data.DataObject;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.EventRing;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The per-frame hot path of a cluster thread on real-shaped payloads (the captured Discord frames of
 * {@code shared/fixtures/discord-v10}, in a realistic mix), compressed as one zlib-stream: inflate, then
 * the one-pass routing scan, then the copy into the Disruptor ring. Three benchmarks on the same input give
 * the cost of each step as a ratio: {@code inflate} alone is the floor.
 *
 * <p>The scan alone is measured three ways on the same inflated frames: {@code scan} (Gatehouse's byte scan),
 * {@code scanJackson} (jackson-core's streaming parser with {@code skipChildren}, what Gatehouse did before) and
 * {@code parseJda} (JDA's {@code DataObject.fromJson}, the parse every JDA bot does per event).
 *
 * <p>Run: {@code ./run.sh jmh FramePathBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FramePathBenchmark {
    static final int FRAMES = 1000;
    static final dev.gatehouse.pipeline.Session SESSION = new dev.gatehouse.pipeline.Session("bench", "ws://127.0.0.1:1", 1, "ws://127.0.0.1:1");

    private final List<byte[]> compressed = new ArrayList<>();
    private final List<byte[]> inflated = new ArrayList<>();
    private final FrameHeader header = new FrameHeader();
    private final JacksonFrameHeader jackson = new JacksonFrameHeader();
    private EventRing ring;
    private long bytes;

    @Setup(Level.Trial)
    public void setUp() {
        List<byte[]> mix = new ArrayList<>();
        for (String f : new String[] {"gateway_message_create.json", "gateway_message_update.json",
                "gateway_message_delete.json", "gateway_guild_member_update.json", "gateway_message_reaction_add.json",
                "gateway_voice_state_update.json", "gateway_thread_create.json", "gateway_interaction_create.json"}) {
            mix.addAll(Fixtures.frames(f));
        }
        mix.add(Fixtures.frames("gateway_guild_create.json").get(0));
        Deflater d = new Deflater();
        byte[] out = new byte[1 << 20];
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int i = 0; i < FRAMES; i++) {
            byte[] msg = freshIds(mix.get(i % mix.size()), random);
            bytes += msg.length;
            inflated.add(msg);
            d.setInput(msg);
            int n = d.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
            compressed.add(Arrays.copyOf(out, n));
        }
        EventHandler<Dispatch> drop = (e, s, end) -> { };
        ring = new EventRing(8192, drop, (e, s, end) -> { }, true);
        System.out.printf("FramePathBenchmark: %d frames, %.0f bytes per frame inflated, %.1f compressed, on %d cores, %s%n",
                FRAMES, bytes / (double) FRAMES, compressed.stream().mapToInt(b -> b.length).sum() / (double) FRAMES,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
    }

    /**
     * The fixtures' sanitised ids all start with 9000000000000000: give every occurrence fresh digits, so the
     * stream compresses like real traffic instead of like the same frames repeated.
     */
    private static byte[] freshIds(byte[] frame, java.util.SplittableRandom random) {
        byte[] out = frame.clone();
        byte[] marker = "90000000000000000".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i + marker.length <= out.length; i++) {
            if (Arrays.equals(out, i, i + marker.length, marker, 0, marker.length)) {
                for (int j = 1; j < marker.length; j++) {
                    out[i + j] = (byte) ('0' + random.nextInt(10));
                }
                i += marker.length - 1;
            }
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ring.shutdown(5_000);
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public void inflate(Blackhole bh) throws Exception {
        ZlibStream z = new ZlibStream();
        for (byte[] c : compressed) {
            z.feed(ByteBuffer.wrap(c));
            bh.consume(z.length());
        }
        z.close();
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public void inflateAndScan(Blackhole bh) throws Exception {
        ZlibStream z = new ZlibStream();
        for (byte[] c : compressed) {
            z.feed(ByteBuffer.wrap(c));
            header.read(z.buffer(), 0, z.length());
            bh.consume(header.guildId);
        }
        z.close();
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public void inflateScanAndPublish() throws Exception {
        ZlibStream z = new ZlibStream();
        for (byte[] c : compressed) {
            z.feed(ByteBuffer.wrap(c));
            header.read(z.buffer(), 0, z.length());
            ring.publish(0, SESSION, header.seq, header.type, header.guildId, z.buffer(), 0, z.length(), System.nanoTime());
        }
        z.close();
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public void scan(Blackhole bh) throws Exception {
        for (byte[] f : inflated) {
            header.read(f, 0, f.length);
            bh.consume(header.guildId);
        }
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public void scanJackson(Blackhole bh) throws Exception {
        for (byte[] f : inflated) {
            jackson.read(f, 0, f.length);
            bh.consume(jackson.guildId);
        }
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public void parseJda(Blackhole bh) {
        for (byte[] f : inflated) {
            bh.consume(DataObject.fromJson(f));
        }
    }
}
