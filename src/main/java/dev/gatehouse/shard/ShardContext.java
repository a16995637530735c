package dev.gatehouse.shard;

import dev.gatehouse.pipeline.EventRing;
import io.netty.channel.EventLoopGroup;

/** What every shard of one process shares: transport, identify queue, ring and credentials. */
record ShardContext(EventLoopGroup loop, IdentifyQueue identifyQueue, EventRing ring, String token, long intents,
                    String gatewayUrl, int totalShards, int connectTimeoutMs) {

    @Override
    public String toString() {
        return "ShardContext[" + gatewayUrl + ", " + totalShards + " shards]";
    }
}
