package dev.gatehouse.state;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wall time the writer's database thread spent in each kind of statement ("members copy", "members merge",
 * "sweeps", "commit", ...), summed since start: where a load's time goes on PostgreSQL's side, for the load bench.
 */
final class StatementClock {
    private final Map<String, LongAdder> nanos = new ConcurrentHashMap<>();

    /** Adds the time since {@code startNanos} (a {@link System#nanoTime()}) to {@code what}; returns now. */
    long since(String what, long startNanos) {
        long now = System.nanoTime();
        nanos.computeIfAbsent(what, k -> new LongAdder()).add(now - startNanos);
        return now;
    }

    /** Seconds per kind, the largest first. */
    Map<String, Double> seconds() {
        Map<String, Double> out = new LinkedHashMap<>();
        nanos.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum()))
                .forEach(e -> out.put(e.getKey(), Math.round(e.getValue().sum() / 1e7) / 100.0));
        return out;
    }
}
