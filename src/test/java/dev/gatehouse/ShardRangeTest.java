package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.Config;
import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.shard.ShardPlan;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which shards a process runs after a restart that found a reshard's count recorded, for each kind of range. */
class ShardRangeTest {
    private static Config config(String... args) {
        return ConfigLoader.load(List.of(args), Map.of());
    }

    private static ShardPlan afterReshard(Config config, int configured, int recorded) {
        ShardPlan range = ShardPlan.of(configured, config.firstShardId(), config.lastShardId(), config.shardsPerCluster(),
                config.maxClusters(), configured);
        return Gatehouse.running(config, range, recorded);
    }

    @Test
    void aWholeRangeNamedByLastShardIdRunsEveryShardOfTheNewCount() {
        // lastShardId=1 of totalShards=2 is every shard: after a reshard to 4 the process must run all 4, not 0..1 of 4
        ShardPlan plan = afterReshard(config("--totalShards=2", "--lastShardId=1"), 2, 4);
        assertFalse(plan.split(), plan.describe());
        assertArrayEquals(new int[] {0, 1, 2, 3}, plan.ids(), plan.describe());
    }

    @Test
    void aWholeRangeByDefaultRunsEveryShardOfTheNewCount() {
        ShardPlan plan = afterReshard(config("--totalShards=2"), 2, 6);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, plan.ids(), plan.describe());
    }

    @Test
    void aSplitRangeKeepsItsResiduesOfTheConfiguredCount() {
        ShardPlan plan = afterReshard(config("--totalShards=2", "--firstShardId=1", "--lastShardId=1"), 2, 4);
        assertTrue(plan.split());
        assertEquals(2, plan.modulus());
        assertArrayEquals(new int[] {1, 3}, plan.ids(), plan.describe());
    }
}
