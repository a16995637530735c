/**
 * Discord state in PostgreSQL: the embedded server, the connection pool, schema migrations (files in
 * {@code sql/}), the batching writer fed by the ring, and reads of the stored state. May call
 * {@code discord} and {@code pipeline}.
 */
package dev.gatehouse.state;
