package dev.gatehouse;

/** Placeholder replaced below. */
final class Bench {
    private Bench() {
    }

    static int run(java.util.List<String> args) {
        throw new IllegalArgumentException("bench: not built yet");
    }
}
