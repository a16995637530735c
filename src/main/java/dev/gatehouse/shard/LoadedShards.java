package dev.gatehouse.shard;

import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;

/** Which shards of this process have had all their guilds at least once: says once when every shard has. */
final class LoadedShards {
    private final int total;
    private final Set<Integer> loaded = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicBoolean signalled = new java.util.concurrent.atomic.AtomicBoolean();

    LoadedShards(int total) {
        this.total = total;
    }

    /** Notes a shard as loaded; true for exactly one call: the one that completes the whole set. */
    boolean loaded(int shardId) {
        loaded.add(shardId);
        return loaded.size() == total && signalled.compareAndSet(false, true);
    }

    int total() {
        return total;
    }
}
