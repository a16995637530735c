package dev.gatehouse.shard;

import java.util.ArrayList;
import java.util.List;

/**
 * Which shards this process runs and how they are grouped: shards {@code first..last} of {@code total}, in
 * consecutive groups of {@code shardsPerCluster}, one cluster thread per group, at most {@code maxClusters}.
 */
public record ShardPlan(int total, int first, int last, int shardsPerCluster, int maxClusters) {

    /**
     * Resolves and checks a plan; {@code last < 0} means the last shard of {@code total}.
     *
     * @throws IllegalArgumentException naming the setting that does not fit
     */
    public static ShardPlan of(int total, int first, int last, int shardsPerCluster, int maxClusters) {
        int l = last < 0 ? total - 1 : last;
        if (first >= total) {
            throw new IllegalArgumentException("firstShardId " + first + " is not below totalShards " + total);
        }
        if (l >= total || l < first) {
            throw new IllegalArgumentException("lastShardId " + l + " must lie in firstShardId.." + (total - 1));
        }
        int shards = l - first + 1;
        int clusters = (shards + shardsPerCluster - 1) / shardsPerCluster;
        if (clusters > maxClusters) {
            throw new IllegalArgumentException(shards + " shards need " + clusters + " clusters of shardsPerCluster "
                    + shardsPerCluster + ", more than maxClusters " + maxClusters);
        }
        return new ShardPlan(total, first, l, shardsPerCluster, maxClusters);
    }

    /** Shards this process runs. */
    public int count() {
        return last - first + 1;
    }

    /** Shard ids per cluster, in order. */
    public List<int[]> clusters() {
        List<int[]> out = new ArrayList<>();
        for (int start = first; start <= last; start += shardsPerCluster) {
            int end = Math.min(last, start + shardsPerCluster - 1);
            int[] ids = new int[end - start + 1];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = start + i;
            }
            out.add(ids);
        }
        return out;
    }
}
