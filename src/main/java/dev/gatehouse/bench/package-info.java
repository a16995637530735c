/**
 * Benchmarks that run Gatehouse beside its peers in separate processes ({@code ./run.sh bench peers}): the
 * simulator, Gatehouse with its PostgreSQL, and the same firehose consumed by JDA and by @discordjs/ws, each
 * measured from outside (CPU per event from /proc, heap after a full GC, delivery latency); and the initial-load
 * bench ({@code ./run.sh bench load}: the simulator and the sample bot in their own JVM, Gatehouse and the raw COPY
 * baseline in this one). May call everything.
 */
package dev.gatehouse.bench;
