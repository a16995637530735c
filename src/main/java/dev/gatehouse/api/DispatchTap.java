package dev.gatehouse.api;

import com.lmax.disruptor.EventHandler;
import dev.gatehouse.pipeline.Dispatch;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The API's read-only ring consumer: counts dispatches by type for {@code /metrics} and the status page, and
 * hands the member chunks and rate limits that answer a waiting member request to {@link MemberRequests}.
 * Parses nothing unless a member request waits, and never blocks.
 */
public final class DispatchTap implements EventHandler<Dispatch> {
    private final Map<String, LongAdder> byType = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();
    final MemberRequests members = new MemberRequests();

    /** Counts the slot and, while a member request waits, copies its chunks and rate limits. */
    @Override
    public void onEvent(Dispatch d, long sequence, boolean endOfBatch) {
        String type = d.type() == null ? "UNKNOWN" : d.type();
        byType.computeIfAbsent(type, t -> new LongAdder()).increment();
        total.increment();
        if (members.waiting() && ("GUILD_MEMBERS_CHUNK".equals(type) || "RATE_LIMITED".equals(type))) {
            members.offer(type, Arrays.copyOf(d.payload(), d.length()));
        }
    }

    /** Dispatches seen, by type. */
    Map<String, LongAdder> byType() {
        return byType;
    }

    /** Dispatches seen in all. */
    long total() {
        return total.sum();
    }
}
