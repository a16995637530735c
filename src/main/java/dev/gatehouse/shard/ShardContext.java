package dev.gatehouse.shard;

import dev.gatehouse.pipeline.Controllers;
import dev.gatehouse.pipeline.EventRing;
import io.netty.channel.EventLoopGroup;

/**
 * What every shard of one process shares: transport, identify queue, ring and credentials.
 *
 * @param maxPausedNanos how long a shard holds dispatches for a full ring, reading paused, before it closes
 *                       resumably (and resumes once the ring has room)
 * @param maxHeldBytes   the bytes of dispatches a shard holds for a full ring at most (plus the frame that crosses it)
 *                       before it closes resumably at once
 * @param loaded         which shards have had all their guilds: the last one signals GATEHOUSE_ALL_LOADED
 * @param controllers    the user's controllers: identify changes and status observers
 */
record ShardContext(EventLoopGroup loop, IdentifyQueue identifyQueue, EventRing ring, String token, long intents,
                    String gatewayUrl, int totalShards, int connectTimeoutMs, long maxPausedNanos, long maxHeldBytes,
                    LoadedShards loaded, Controllers controllers) {

    @Override
    public String toString() {
        return "ShardContext[" + gatewayUrl + ", " + totalShards + " shards]";
    }
}
