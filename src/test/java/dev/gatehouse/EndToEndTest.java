package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole pipeline against the simulator: 4 shards in 2 clusters, a few hundred guilds, a steady mixed
 * stream. Every dispatch reaches the bot exactly once in per-shard order, and the database equals the world.
 * Runs on platform and on virtual cluster threads.
 */
class EndToEndTest {

    @ParameterizedTest(name = "clusters.threads={0}")
    @ValueSource(strings = {"platform", "virtual"})
    void everyDispatchReachesTheBotOnceInOrderAndTheDatabaseEqualsTheWorld(String threads) throws Exception {
        try (Harness h = new Harness(Harness.world(4, 300, 400), "--clusters.threads=" + threads, "--shardsPerCluster=2")) {
            h.awaitLoaded();
            assertEquals(2, h.gatehouse.shards().clusterCount());
            h.sim.startTraffic();
            Thread.sleep(4_000);
            h.sim.stopTraffic();
            h.awaitDelivered();
            Thread.sleep(300); // anything beyond what was sent would show up now
            h.assertExactlyOnceInOrder();
            h.assertDatabaseEqualsWorld();
            assertTrue(h.count("SELECT count(*) FROM messages") > 0, "messages stored");
            assertTrue(h.count("SELECT count(*) FROM message_revisions") > 0, "edits kept as revisions");
            assertTrue(h.count("SELECT count(*) FROM messages WHERE deleted_at IS NOT NULL") > 0, "deletes are soft");
            assertEquals(0, h.bot.unauthorized());
            assertEquals(0, h.gatehouse.state().eventsRejected(), "events the state could not store");
        }
    }
}
