/**
 * The HTTP API a bot process talks to: a Netty server on its own event loop threads (never a cluster thread,
 * never a ring consumer) with commands to shards (presence, voice state, member requests, routed to the shard of
 * the guild and paced by its limiter), reads of the stored state through the single-flight cache, health and
 * readiness probes, Prometheus metrics, shard status and a status page. Its read-only ring tap sees member
 * chunks, rate limits and counts events by type. May call {@code shard}, {@code state}, {@code delivery},
 * {@code pipeline} (the tap's slot type) and {@code discord}.
 */
package dev.gatehouse.api;
