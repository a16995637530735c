package dev.gatehouse.bench;

import dev.gatehouse.sim.SimOptions;
import dev.gatehouse.sim.Simulator;
import java.io.InputStream;

/**
 * The simulator of {@code ./run.sh bench peers} in its own JVM, so its CPU is nobody's: the world and a steady
 * firehose (traffic from the start, no truth recorded). Prints one JSON line with its REST and gateway URLs and
 * runs until its standard input closes. Arguments: shards, guilds, maximum members, events per second, token.
 */
public final class PeersSimulator {
    private PeersSimulator() {
    }

    public static void main(String[] args) throws Exception {
        SimOptions options = SimOptions.defaults().withWorld(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]))
                .withTraffic(Integer.parseInt(args[3])).withToken(args[4]).withTruth(false);
        try (Simulator sim = new Simulator(options)) {
            int[] perShard = sim.guildsPerShard(options.shards());
            int fullest = 0;
            for (int i = 1; i < perShard.length; i++) {
                fullest = perShard[i] > perShard[fullest] ? i : fullest;
            }
            sim.startTraffic();
            serve(sim, ",\"fullestShard\":\"" + fullest + "\",\"fullestShardGuilds\":\"" + perShard[fullest]
                    + "\",\"maxGuildsPerShard\":\"" + options.maxGuildsPerShard() + "\"");
        }
    }

    /** Prints the ready line with the simulator's URLs, then serves until the driver closes our standard input. */
    static void serve(Simulator sim) throws java.io.IOException {
        serve(sim, "");
    }

    /** The same, with more members for the ready line ({@code ,"name":"value"...}, or empty). */
    static void serve(Simulator sim, String moreFields) throws java.io.IOException {
        System.out.println("{\"event\":\"ready\",\"rest\":\"" + sim.restUrl() + "\",\"gateway\":\"" + sim.gatewayUrl() + "\""
                + moreFields + "}");
        System.out.flush();
        InputStream in = System.in;
        while (in.read() >= 0) {
            // runs until the driver closes our standard input
        }
    }
}
