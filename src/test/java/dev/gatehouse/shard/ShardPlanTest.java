package dev.gatehouse.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** firstShardId, lastShardId and totalShards pick the shards; shardsPerCluster and maxClusters group them. */
class ShardPlanTest {

    @Test
    void aRangeIsSplitIntoConsecutiveClusters() {
        ShardPlan p = ShardPlan.of(16, 4, 10, 3, 8);
        assertEquals(7, p.count());
        List<int[]> clusters = p.clusters();
        assertEquals(3, clusters.size());
        assertArrayEquals(new int[] {4, 5, 6}, clusters.get(0));
        assertArrayEquals(new int[] {7, 8, 9}, clusters.get(1));
        assertArrayEquals(new int[] {10}, clusters.get(2));
    }

    @Test
    void lastShardDefaultsToTheLastOfTheTotal() {
        ShardPlan p = ShardPlan.of(5, 0, -1, 16, 1);
        assertEquals(4, p.last());
        assertEquals(1, p.clusters().size());
    }

    @Test
    void rangesThatDoNotFitAreRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShardPlan.of(4, 4, -1, 16, 1)).getMessage().contains("firstShardId"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShardPlan.of(4, 0, 7, 16, 1)).getMessage().contains("lastShardId"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ShardPlan.of(100, 0, -1, 10, 5)).getMessage().contains("maxClusters"));
    }
}
