package dev.gatehouse.api;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Requests answered, by route pattern and status, for {@code /metrics}. */
final class ApiStats {
    /** A route pattern and an HTTP status. */
    record Key(String route, int status) {
    }

    private final Map<Key, LongAdder> answered = new ConcurrentHashMap<>();

    void answered(String route, int status) {
        answered.computeIfAbsent(new Key(route, status), k -> new LongAdder()).increment();
    }

    Map<Key, LongAdder> answered() {
        return answered;
    }
}
