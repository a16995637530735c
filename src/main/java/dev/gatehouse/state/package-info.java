/**
 * Discord state in PostgreSQL: the embedded server, the connection pool, schema migrations (files in
 * {@code sql/}), the batching writer fed by the ring ({@link dev.gatehouse.state.StateWriter}: dispatches read into
 * changes, folded per table, written after a short linger for company (a group commit) by the consumer thread or its database thread, small tables in one round trip, large batches through binary COPY (each object's {@code data} as the payload's own UTF-8 bytes, never a string), straight into the table for keys not stored yet and through a staging table and one merge for the rest, then the sweeps), the
 * sessions and identify turns of each bot sharing the database, and reads of the stored state. May call
 * {@code discord} and {@code pipeline}.
 */
package dev.gatehouse.state;
