package dev.gatehouse.spi;

/**
 * A shard's status at a state change.
 *
 * @param shardId  the shard
 * @param state    IDLE, CONNECTING, HELLO, QUEUED, IDENTIFYING, RESUMING, READY, RECONNECTING or STOPPED
 * @param previous the state before
 * @param seq      its last sequence number
 * @param guilds   guilds of the shard
 * @param loaded   true once every guild READY listed has arrived
 */
public record ShardState(int shardId, String state, String previous, long seq, int guilds, boolean loaded) {
}
