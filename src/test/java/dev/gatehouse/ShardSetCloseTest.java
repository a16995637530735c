package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.discord.GatewayBot;
import dev.gatehouse.pipeline.Controllers;
import dev.gatehouse.pipeline.DispatchSink;
import dev.gatehouse.shard.IdentifyQueue;
import dev.gatehouse.shard.ShardManager;
import dev.gatehouse.shard.ShardPlan;
import dev.gatehouse.sim.GatewaySession;
import dev.gatehouse.sim.Simulator;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A shard set closed with 1000 ends its sessions at the gateway even when its sockets are full of unread bytes
 * (a reshard holds the old set at the switch, as a full ring does, and closes it while it reads the backlog):
 * the close must not become a TCP reset, or an event loop shut down before the close frame went out, that
 * loses the close frame and leaves the sessions resumable and receiving.
 */
class ShardSetCloseTest {

    @Test
    void closingWith1000WhileReadingIsPausedEndsEverySession() throws Exception {
        try (Simulator sim = new Simulator(Harness.world(4, 200, 3000))) {
            GatewayBot bot = GatewayBot.fetch(URI.create(sim.restUrl()), "test-token");
            java.util.concurrent.atomic.AtomicBoolean refuse = new java.util.concurrent.atomic.AtomicBoolean();
            // takes everything until told to refuse: then the shards hold what comes and pause reading
            DispatchSink sink = (shard, session, seq, type, guild, kind, buf, off, len, at) -> !refuse.get();
            ShardManager shards = new ShardManager(ShardPlan.of(4, 0, -1, 4, 1), sink, "test-token", dev.gatehouse.discord.Intent.all(), bot,
                    () -> bot, 0, false, Map.of(), IdentifyQueue.LOCAL, 120_000, 16L << 20, Controllers.none(), shard -> { });
            try {
                Harness.await("every shard READY", 30_000, () -> shards.statuses().stream().allMatch(s -> s.ready()),
                        () -> shards.statuses().toString());
                refuse.set(true);
                sim.startTraffic();
                Harness.await("every shard paused", 30_000, () -> shards.statuses().stream().allMatch(s -> s.readingPaused()),
                        () -> shards.statuses().toString());
                Thread.sleep(1_000); // the gateway goes on sending: the sockets fill with bytes nobody reads
                refuse.set(false); // as after a reshard's switch: the held dispatches go, reading resumes on a backlog
                Harness.await("reading resumed", 30_000, () -> shards.statuses().stream().noneMatch(s -> s.readingPaused()),
                        () -> shards.statuses().toString());
            } finally {
                shards.close(1000, "resharded");
            }
            sim.stopTraffic();
            Harness.await("the simulator to take the closes", 10_000,
                    () -> sim.sessions().stream().allMatch(s -> !s.endings().isEmpty()), () -> describe(sim.sessions()));
            for (GatewaySession s : sim.sessions()) {
                assertEquals(List.of("close 1000"), s.endings(), "how the connection of session " + s.describe() + " ended");
            }
        }
    }

    private static String describe(List<GatewaySession> sessions) {
        return sessions.stream().map(GatewaySession::describe).toList().toString();
    }
}
