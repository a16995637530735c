package dev.gatehouse.bench;

import dev.gatehouse.discord.Payloads;
import dev.gatehouse.sim.SampleBot;
import dev.gatehouse.sim.SimOptions;
import dev.gatehouse.sim.Simulator;

/**
 * The simulator of {@code ./run.sh bench load} in its own JVM: one shard's world and no traffic, every GUILD_CREATE
 * rendered before the client identifies ({@link Simulator#prepareBurst}), so that during the timed window the
 * simulator only frames, compresses and sends the burst, and none of its CPU or heap is in Gatehouse's JVM. The
 * sample bot Gatehouse delivers to runs here too (the bot is not Gatehouse either). Prints one JSON line with the
 * URLs and runs until its standard input closes. Arguments: guilds, maximum members, average members, token, the
 * bot's secret.
 */
public final class LoadSimulator {
    private LoadSimulator() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            throw new IllegalArgumentException("LoadSimulator needs 5 arguments: guilds maxMembers averageMembers token botSecret; got "
                    + args.length);
        }
        SimOptions options = SimOptions.defaults().withWorld(1, Integer.parseInt(args[0]), Integer.parseInt(args[1]))
                .withAverageMembers(Integer.parseInt(args[2])).withTraffic(0).withToken(args[3]).withTruth(false)
                .withLimits(16, 5000, 41_250, 2500, true);
        try (Simulator sim = new Simulator(options); SampleBot bot = new SampleBot(args[4])) {
            sim.prepareBurst(Payloads.DEFAULT_LARGE_THRESHOLD);
            PeersSimulator.serve(sim, ",\"bot\":\"" + bot.url() + "\"");
        }
    }
}
