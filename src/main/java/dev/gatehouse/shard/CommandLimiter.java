package dev.gatehouse.shard;

/**
 * Discord's limit on what a client sends: 120 payloads per 60 s per connection, else close 4008. A sliding
 * window of send times; commands (presence, voice state, member requests) may fill it only up to a reserve
 * kept for the heartbeats, identify and resume that must go out whatever the commands do. One per shard,
 * cluster thread only.
 */
final class CommandLimiter {
    /** Discord's figures. */
    static final int LIMIT = 120;
    static final long WINDOW_NANOS = 60_000_000_000L;

    private final long[] sentAt = new long[LIMIT];
    private final int reserve;
    private int next;
    private int count;

    /** @param heartbeatIntervalMs the connection's interval: the reserve covers its heartbeats in one window plus two */
    CommandLimiter(long heartbeatIntervalMs) {
        long beats = heartbeatIntervalMs <= 0 ? LIMIT : (WINDOW_NANOS / 1_000_000L + heartbeatIntervalMs - 1) / heartbeatIntervalMs;
        this.reserve = (int) Math.min(LIMIT / 2, beats + 2);
    }

    /** Payloads commands may send per window. */
    int commandBudget() {
        return LIMIT - reserve;
    }

    private void expire(long now) {
        while (count > 0 && now - sentAt[(next - count + LIMIT) % LIMIT] >= WINDOW_NANOS) {
            count--;
        }
    }

    /** Records a heartbeat, identify or resume: always sent, always counted. */
    void control(long now) {
        expire(now);
        record(now);
    }

    /** Takes a slot for a command if the window has one beyond the reserve; records it when it does. */
    boolean tryCommand(long now) {
        expire(now);
        if (count >= commandBudget()) {
            return false;
        }
        record(now);
        return true;
    }

    /** When {@link #tryCommand} can next succeed (now if it can now). */
    long nextCommandAt(long now) {
        expire(now);
        if (count < commandBudget()) {
            return now;
        }
        // the oldest sends leave the window first: after (count - budget + 1) of them, a slot is free
        int leaving = count - commandBudget();
        return sentAt[(next - count + leaving + LIMIT) % LIMIT] + WINDOW_NANOS;
    }

    private void record(long now) {
        if (count == LIMIT) {
            count--; // over the limit: only control payloads get here, and they must go out; forget the oldest
        }
        sentAt[next] = now;
        next = (next + 1) % LIMIT;
        count++;
    }
}
