package dev.gatehouse.bench;

import dev.gatehouse.sim.SimulatorSessionController;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import net.dv8tion.jda.api.JDA;
import net.dv8tion.jda.api.events.GenericEvent;
import net.dv8tion.jda.api.events.message.MessageReceivedEvent;
import net.dv8tion.jda.api.requests.GatewayIntent;
import net.dv8tion.jda.api.requests.RestConfig;
import net.dv8tion.jda.api.sharding.DefaultShardManagerBuilder;
import net.dv8tion.jda.api.sharding.ShardManager;
import net.dv8tion.jda.api.utils.Compression;

/**
 * The JDA side of {@code ./run.sh bench peers}: a JDA 6 bot in its own JVM, with JDA's default caches, logged in
 * to the simulator with Gatehouse's default intents and zlib-stream. It reads commands on standard input
 * ({@code mark}, {@code report}, {@code stop}) and answers with one JSON line each on standard output; it prints
 * {@code loaded} once every shard is connected and holds all the world's guilds. Latency is a MESSAGE_CREATE's
 * nonce (the simulator's wall clock in microseconds when it made the message) to JDA's event.
 *
 * <p>Arguments: the simulator's REST URL, its gateway URL, the token, the number of guilds in the world.
 */
public final class JdaPeer {
    private static final EnumSet<GatewayIntent> INTENTS = EnumSet.of(GatewayIntent.GUILD_MEMBERS, GatewayIntent.GUILD_VOICE_STATES,
            GatewayIntent.GUILD_PRESENCES, GatewayIntent.GUILD_MESSAGES, GatewayIntent.MESSAGE_CONTENT);

    private static final Object LOCK = new Object();
    private static long[] samples = new long[1 << 16];
    private static int count;

    private JdaPeer() {
    }

    public static void main(String[] args) throws Exception {
        String rest = args[0];
        String gateway = args[1];
        long guilds = Long.parseLong(args[3]);
        ShardManager jda = DefaultShardManagerBuilder.create(args[2], INTENTS)
                .setRestConfig(new RestConfig().setBaseUrl(rest + "/"))
                .setSessionController(new SimulatorSessionController(gateway))
                .setCompression(Compression.ZLIB)
                .addEventListeners((net.dv8tion.jda.api.hooks.EventListener) JdaPeer::onEvent)
                .build();
        Thread.ofPlatform().daemon(true).name("jda-peer-loaded").start(() -> {
            try {
                while (jda.getGuildCache().size() < guilds
                        || jda.getShardCache().stream().anyMatch(s -> s.getStatus() != JDA.Status.CONNECTED)) {
                    Thread.sleep(100);
                }
                print("{\"event\":\"loaded\",\"events\":" + events(jda) + "}");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            switch (line.trim()) {
                case "mark" -> {
                    synchronized (LOCK) {
                        count = 0;
                    }
                    print("{\"event\":\"marked\",\"events\":" + events(jda) + "}");
                }
                case "report" -> {
                    long[] s;
                    synchronized (LOCK) {
                        s = Arrays.copyOf(samples, count);
                    }
                    Arrays.sort(s);
                    print("{\"event\":\"report\",\"events\":" + events(jda) + ",\"samples\":" + s.length + ",\"p50\":" + quantile(s, 0.5)
                            + ",\"p99\":" + quantile(s, 0.99) + "}");
                }
                case "stop" -> {
                    jda.shutdown();
                    print("{\"event\":\"stopped\"}");
                    System.exit(0);
                }
                default -> print("{\"event\":\"error\",\"message\":\"unknown command\"}");
            }
        }
        jda.shutdown();
        System.exit(0);
    }

    private static void onEvent(GenericEvent event) {
        if (event instanceof MessageReceivedEvent m) {
            String nonce = m.getMessage().getNonce();
            if (nonce != null && !nonce.isEmpty()) {
                Instant now = Instant.now();
                long latency = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000 - Long.parseLong(nonce);
                synchronized (LOCK) {
                    if (count == samples.length) {
                        samples = Arrays.copyOf(samples, count * 2);
                    }
                    samples[count++] = latency;
                }
            }
        }
    }

    /** Dispatches and other gateway messages JDA has read over all shards. */
    private static long events(ShardManager jda) {
        return jda.getShardCache().stream().mapToLong(JDA::getResponseTotal).sum();
    }

    private static long quantile(long[] sorted, double q) {
        return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))];
    }

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
