package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.control.ReshardStatus;
import dev.gatehouse.shard.ShardStatus;
import dev.gatehouse.sim.GatewaySession;
import dev.gatehouse.sim.GuildChurn;
import dev.gatehouse.sim.SimOptions;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * A reshard of a shard range split over two processes (0..0 and 1..1 of 2), started through one of them: the other
 * follows it through PostgreSQL, and each switches its own part to the shards of 4 that keep its residue modulo 2
 * ({0, 2} and {1, 3}), so every guild's new shard is in the process that held it.
 */
class ReshardProcessesTest {
    private static final String[] COMMON = {"--reshard.checkIntervalMinutes=10", "--totalShards=2"};

    @Test
    void twoProcessesReshardTheirRangesTogetherAndTheBotGetsEveryWorldEventOnceInGuildOrder() throws Exception {
        SimOptions world = Harness.world(2, 400, 1200).withChurn(new GuildChurn(60, 0, 0, 10_000));
        try (Harness h = new Harness(world, with("--firstShardId=0", "--lastShardId=0"))) {
            try (Gatehouse high = h.another("high", with("--firstShardId=1", "--lastShardId=1"))) {
                h.awaitLoaded();
                Harness.await("the second process's shards ready and loaded", 60_000,
                        () -> high.shards().statuses().stream().allMatch(x -> x.ready() && x.guildsLoaded() == x.guilds()),
                        () -> high.statusLine(0));
                h.sim.startTraffic();
                long target = h.bot.count() + 3000;
                Harness.await("traffic before the reshard", 60_000, () -> h.bot.count() >= target, () -> h.gatehouse.statusLine(0));

                ReshardStatus started = h.gatehouse.reshard(OptionalInt.of(4));
                assertEquals(4, started.toShards());
                for (Gatehouse g : new Gatehouse[] {h.gatehouse, high}) {
                    Harness.await("both processes to switch", 120_000, () -> !g.reshardStatus().running()
                            && g.reshardStatus().toShards() == 4, () -> h.gatehouse.reshardStatus() + " / " + high.reshardStatus());
                    assertEquals("done", g.reshardStatus().phase(), g.reshardStatus().toString());
                }
                assertArrayEquals(new int[] {0, 2}, ids(h.gatehouse), "the first process keeps residue 0 of 2");
                assertArrayEquals(new int[] {1, 3}, ids(high), "the second process keeps residue 1 of 2");
                Thread.sleep(1_000); // the simulator takes the close frames of the old sessions
                long oldSent = ReshardTest.sentTo(h, 2);
                long after = h.bot.count() + 3000;
                Harness.await("traffic after the switch", 60_000, () -> h.bot.count() >= after, () -> h.gatehouse.statusLine(0));
                h.sim.stopTraffic();
                Thread.sleep(500);
                Harness.await("the bot to receive the new sets' events", 90_000,
                        () -> h.gatehouse.delivery().queued() == 0 && high.delivery().queued() == 0
                                && ReshardTest.missingWorldEvents(h.sim, h.bot) == 0,
                        () -> "world events not at the bot " + ReshardTest.missingWorldEvents(h.sim, h.bot) + "; "
                                + h.gatehouse.statusLine(0) + " / " + high.statusLine(0));
                Thread.sleep(1_500); // the state writers' last progress and the delivery checkpoints

                assertEquals(oldSent, ReshardTest.sentTo(h, 2), "the old sessions were ended (the simulator sends them nothing more): "
                        + h.sim.sessions().stream().filter(x -> x.shardCount() == 2).map(GatewaySession::describe).toList());
                assertEquals(0, h.sim.bucketViolations(), "identify bucket violations");
                ReshardTest.assertEveryWorldEventOnceInGuildOrder(h.sim, h.bot, 2);
                h.assertDatabaseEqualsWorld();
                ReshardTest.assertGuildsAndSessionsFollow(h, 4);
                assertEquals(2, h.count("SELECT count(*) FROM gatehouse_shard_part WHERE modulus = 2 AND total_shards = 4"),
                        "both parts recorded 4 shards");
                assertEquals(1, h.count("SELECT count(*) FROM gatehouse_reshard WHERE phase = 'switched' AND to_shards = 4"),
                        "the reshard of both processes is closed");
                high.close(5_000);
            }
        }
    }

    @Test
    void aCountThatIsNotAMultipleOfTheSplitCountIsRefusedNamingTheRule() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 20, 0), with("--firstShardId=1", "--lastShardId=1"))) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> h.gatehouse.reshard(OptionalInt.of(5)));
            assertEquals("this process runs shards 1..1 of 2; processes that split a shard range reshard to multiples of 2"
                    + " (the totalShards their ranges are of), and 5 is not one", e.getMessage());
            assertEquals(1, h.gatehouse.shards().statuses().size(), "the running shard is untouched");
        }
    }

    private static String[] with(String... range) {
        String[] out = java.util.Arrays.copyOf(COMMON, COMMON.length + range.length);
        System.arraycopy(range, 0, out, COMMON.length, range.length);
        return out;
    }

    private static int[] ids(Gatehouse g) {
        return g.shards().statuses().stream().mapToInt(ShardStatus::id).sorted().toArray();
    }
}
