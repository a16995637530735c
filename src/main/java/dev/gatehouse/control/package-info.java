/**
 * Decisions about the shard set: when to reshard (guild count, Discord's recommendation, a 4011 close, an
 * operator), the background shard set that identifies with the new count, and the exact hand-over from the old
 * set to the new one (every world event reaches the state and the bot once, in per-guild order). May call
 * {@code shard}, {@code discord} and {@code pipeline} (the sinks shards publish into); the database work of a
 * switch is handed in by the root as a {@link dev.gatehouse.control.Reshard.Store}.
 */
package dev.gatehouse.control;
