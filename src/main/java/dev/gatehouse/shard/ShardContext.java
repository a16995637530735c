package dev.gatehouse.shard;

import dev.gatehouse.pipeline.Controllers;
import dev.gatehouse.pipeline.DispatchSink;
import io.netty.channel.EventLoopGroup;

/**
 * What every shard of one process shares: transport, identify queue, ring and credentials.
 *
 * @param maxPausedNanos how long a shard holds dispatches for a full ring, reading paused, before it closes
 *                       resumably (and resumes once the ring has room)
 * @param maxHeldBytes   the bytes of dispatches a shard holds for a full ring at most (plus the frame that crosses it)
 *                       before it closes resumably at once
 * @param ring           where dispatches go: the ring, or a reshard's hand-over in front of it
 * @param loaded         which shards have had all their guilds: the last one signals GATEHOUSE_ALL_LOADED
 * @param controllers    the user's controllers: identify changes and status observers
 * @param shardingRequired told the shard id when the gateway closes with 4011 (too many guilds for the shard count)
 * @param backoff        the wait before a reconnect ({@code gateway.reconnectBackoffMs}, {@code gateway.maxReconnectBackoffMs})
 */
record ShardContext(EventLoopGroup loop, IdentifyQueue identifyQueue, DispatchSink ring, String token, long intents,
                    String gatewayUrl, int totalShards, int connectTimeoutMs, long maxPausedNanos, long maxHeldBytes,
                    LoadedShards loaded, Controllers controllers, java.util.function.IntConsumer shardingRequired,
                    Backoff backoff) {

    @Override
    public String toString() {
        return "ShardContext[" + gatewayUrl + ", " + totalShards + " shards]";
    }
}
