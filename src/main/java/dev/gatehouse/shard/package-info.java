/**
 * Shards and their clusters: the Netty WebSocket connection, the zlib-stream inflater, the session state
 * machine (hello, identify/resume, heartbeats, seq), the identify queue, the cluster worker threads and the
 * shard manager. May call {@code discord} and {@code pipeline}.
 */
package dev.gatehouse.shard;
