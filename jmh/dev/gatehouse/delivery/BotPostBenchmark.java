package dev.gatehouse.delivery;

import dev.gatehouse.sim.SampleBot;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

/**
 * Where one delivery POST's cost goes: the delivery client ({@link BotClient}: for an http bot its own keep-alive
 * HTTP/1.1 {@link BotConnection} on the caller's thread; the JDK HttpClient before branch http6) posting a 700-byte event to the sample bot (JDK HttpServer, virtual threads) on loopback, one event
 * per POST ({@code one}) against arrays of 100 ({@code batch100}); ops are events. After each measured iteration
 * it prints the CPU per event of the client's threads and of the server's, from {@link ThreadMXBean}.
 *
 * <p>Run: {@code ./run.sh jmh BotPostBenchmark}
 */
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 4, time = 2)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class BotPostBenchmark {
    private SampleBot bot;
    private BotClient single;
    private BotClient arrays;
    private List<Pending> one;
    private List<Pending> hundred;
    private Map<String, Long> cpuBefore;
    private long eventsBefore;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        bot = new SampleBot("s3cret");
        single = new BotClient(URI.create(bot.url()), "s3cret", 10_000, false, 1);
        arrays = new BotClient(URI.create(bot.url()), "s3cret", 10_000, true, 100);
        StringBuilder sb = new StringBuilder("{\"shardId\":0,\"sessionId\":\"abc\",\"data\":{\"op\":0,\"s\":1,"
                + "\"t\":\"MESSAGE_CREATE\",\"d\":{\"content\":\"");
        while (sb.length() < 690) {
            sb.append('x');
        }
        byte[] body = sb.append("\"}}}").toString().getBytes(StandardCharsets.UTF_8);
        hundred = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            hundred.add(new Pending(i, 0, "abc", i + 1, "MESSAGE_CREATE", body, 0, -1, ""));
        }
        one = List.of(hundred.get(0));
    }

    @Setup(Level.Iteration)
    public void startCount() {
        cpuBefore = cpuByRole();
        eventsBefore = bot.events();
    }

    @TearDown(Level.Iteration)
    public void printCount() {
        Map<String, Long> after = cpuByRole();
        long events = bot.events() - eventsBefore;
        StringBuilder line = new StringBuilder("\n  cpu per event over " + events + " events:");
        for (var e : after.entrySet()) {
            long d = e.getValue() - cpuBefore.getOrDefault(e.getKey(), 0L);
            line.append(String.format(" %s %.1f us", e.getKey(), d / 1e3 / Math.max(1, events)));
        }
        System.out.println(line);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        bot.close();
    }

    @Benchmark
    public Answer one() throws InterruptedException {
        return single.post(one);
    }

    @Benchmark
    @OperationsPerInvocation(100)
    public Answer batch100() throws InterruptedException {
        return arrays.post(hundred);
    }

    /** Thread CPU time summed by role: the bot's server threads, the client's (caller and selector), the rest. */
    private static Map<String, Long> cpuByRole() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, Long> cpu = new HashMap<>();
        for (var info : mx.dumpAllThreads(false, false)) {
            long t = mx.getThreadCpuTime(info.getThreadId());
            if (t < 0) {
                continue;
            }
            String name = info.getThreadName();
            String role = name.startsWith("HttpClient") || name.contains("jmh-worker") ? "client"
                    : name.startsWith("HTTP-Dispatcher") || name.startsWith("ForkJoinPool") ? "server" : "other";
            cpu.merge(role, t, Long::sum);
        }
        return cpu;
    }
}
