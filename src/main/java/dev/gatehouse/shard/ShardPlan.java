package dev.gatehouse.shard;

import java.util.ArrayList;
import java.util.List;

/**
 * Which shards this process runs and how they are grouped: of {@code total} shards, those whose id modulo
 * {@code modulus} lies in {@code first..last}, in consecutive groups of {@code shardsPerCluster}, one cluster thread
 * per group, at most {@code maxClusters}. A process that runs a whole count has {@code modulus == total}: its shards
 * are {@code first..last}. Processes that split a range keep, across reshards to multiples of the count they split
 * ({@code modulus}), the residues they started with, so their sets never overlap and together cover every shard.
 */
public record ShardPlan(int total, int first, int last, int shardsPerCluster, int maxClusters, int modulus) {

    /**
     * Resolves and checks a plan of shards {@code first..last} of {@code total}; {@code last < 0} means the last shard
     * of {@code total}.
     *
     * @throws IllegalArgumentException naming the setting that does not fit
     */
    public static ShardPlan of(int total, int first, int last, int shardsPerCluster, int maxClusters) {
        return of(total, first, last, shardsPerCluster, maxClusters, total);
    }

    /**
     * Resolves and checks a plan of the shards of {@code total} whose id modulo {@code modulus} lies in
     * {@code first..last}; {@code last < 0} means {@code modulus - 1}.
     *
     * @throws IllegalArgumentException naming the setting that does not fit
     */
    public static ShardPlan of(int total, int first, int last, int shardsPerCluster, int maxClusters, int modulus) {
        if (modulus < 1 || total % modulus != 0) {
            throw new IllegalArgumentException("totalShards " + total + " is not a multiple of " + modulus
                    + ", the count the shard range firstShardId..lastShardId was split of");
        }
        int l = last < 0 ? modulus - 1 : last;
        if (first >= modulus) {
            throw new IllegalArgumentException("firstShardId " + first + " is not below totalShards " + modulus);
        }
        if (l >= modulus || l < first) {
            throw new IllegalArgumentException("lastShardId " + l + " must lie in firstShardId.." + (modulus - 1));
        }
        int shards = (l - first + 1) * (total / modulus);
        int clusters = (shards + shardsPerCluster - 1) / shardsPerCluster;
        if (clusters > maxClusters) {
            throw new IllegalArgumentException(shards + " shards need " + clusters + " clusters of shardsPerCluster "
                    + shardsPerCluster + ", more than maxClusters " + maxClusters);
        }
        return new ShardPlan(total, first, l, shardsPerCluster, maxClusters, modulus);
    }

    /** True when this process runs only part of the shards (other processes run the rest). */
    public boolean split() {
        return first != 0 || last != modulus - 1;
    }

    /** True when shard {@code id} of {@code total} is this process's. */
    public boolean holds(int id) {
        int r = id % modulus;
        return id >= 0 && id < total && r >= first && r <= last;
    }

    /** Shards this process runs. */
    public int count() {
        return (last - first + 1) * (total / modulus);
    }

    /** The shard ids this process runs, ascending. */
    public int[] ids() {
        int[] out = new int[count()];
        int n = 0;
        for (int id = 0; id < total; id++) {
            if (holds(id)) {
                out[n++] = id;
            }
        }
        return out;
    }

    /** What the shards are, for logs: {@code 0..3 of 4}, or {@code 0, 2 of 4 (residues 0..0 of 2)}. */
    public String describe() {
        if (modulus == total) {
            return first + ".." + last + " of " + total;
        }
        StringBuilder s = new StringBuilder();
        for (int id : ids()) {
            s.append(s.isEmpty() ? "" : ", ").append(id);
        }
        return s + " of " + total + " (residues " + first + ".." + last + " of " + modulus + ")";
    }

    /** Shard ids per cluster, in order. */
    public List<int[]> clusters() {
        int[] all = ids();
        List<int[]> out = new ArrayList<>();
        for (int start = 0; start < all.length; start += shardsPerCluster) {
            int end = Math.min(all.length, start + shardsPerCluster);
            out.add(java.util.Arrays.copyOfRange(all, start, end));
        }
        return out;
    }
}
