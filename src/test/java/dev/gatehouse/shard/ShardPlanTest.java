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

    @Test
    void aSplitRangeKeepsItsResiduesAcrossMultiplesOfTheCountItWasSplitOf() {
        ShardPlan low = ShardPlan.of(8, 0, 0, 16, 1, 2);
        ShardPlan high = ShardPlan.of(8, 1, 1, 16, 1, 2);
        assertArrayEquals(new int[] {0, 2, 4, 6}, low.ids());
        assertArrayEquals(new int[] {1, 3, 5, 7}, high.ids());
        assertTrue(low.split() && high.split());
        assertEquals("1, 3, 5, 7 of 8 (residues 1..1 of 2)", high.describe());
        // three processes over 6 shards at the start, then 12: each guild's new shard stays in its process
        ShardPlan[] parts = {ShardPlan.of(12, 0, 1, 16, 1, 6), ShardPlan.of(12, 2, 3, 16, 1, 6), ShardPlan.of(12, 4, 5, 16, 1, 6)};
        for (long g = 0; g < 10_000; g++) {
            int oldShard = (int) (g % 6);
            int newShard = (int) (g % 12);
            int holders = 0;
            for (ShardPlan p : parts) {
                holders += p.holds(newShard) ? 1 : 0;
                assertEquals(p.holds(newShard), p.first() <= oldShard && oldShard <= p.last(), "guild " + g);
            }
            assertEquals(1, holders, "exactly one process runs shard " + newShard);
        }
        assertArrayEquals(new int[] {2, 3, 8, 9}, parts[1].ids());
        assertEquals(1, parts[1].clusters().size());
    }

    @Test
    void aCountThatIsNotAMultipleOfTheSplitCountIsRefused() {
        assertEquals("totalShards 5 is not a multiple of 2, the count the shard range firstShardId..lastShardId was split of",
                assertThrows(IllegalArgumentException.class, () -> ShardPlan.of(5, 0, 0, 16, 1, 2)).getMessage());
        assertEquals("lastShardId 2 must lie in firstShardId..1",
                assertThrows(IllegalArgumentException.class, () -> ShardPlan.of(4, 0, 2, 16, 1, 2)).getMessage());
    }

    @Test
    void aWholeRangeIsNotSplit() {
        ShardPlan p = ShardPlan.of(4, 0, -1, 16, 1);
        assertEquals(false, p.split());
        assertEquals("0..3 of 4", p.describe());
        assertArrayEquals(new int[] {0, 1, 2, 3}, p.ids());
    }
}
