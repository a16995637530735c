package dev.gatehouse.pipeline;

import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * The gateway filters between the ring and the bot (the state still stores everything): the type filters
 * {@code delivery.events} / {@code delivery.skipEvents}, and {@code filters.editedMessages}, which holds back
 * MESSAGE_UPDATEs whose content did not change ({@link EditedMessages}). Gatehouse's own signals
 * ({@code GATEHOUSE_*}) pass unless {@code delivery.skipEvents} names them. Called by one consumer thread.
 */
public final class GatewayFilters {
    private static final String SIGNAL_PREFIX = "GATEHOUSE_";

    private final Set<String> events;
    private final Set<String> skipEvents;
    private final EditedMessages edits;
    private final LongAdder skippedTypes = new LongAdder();
    private final LongAdder skippedEdits = new LongAdder();

    /**
     * @param events         types to deliver, empty for all
     * @param skipEvents     types never delivered
     * @param editedMessages hold back MESSAGE_UPDATEs that leave the content as it was
     */
    public GatewayFilters(Set<String> events, Set<String> skipEvents, boolean editedMessages) {
        this.events = Set.copyOf(events);
        this.skipEvents = Set.copyOf(skipEvents);
        this.edits = editedMessages ? new EditedMessages(EditedMessages.DEFAULT_CAPACITY) : null;
    }

    /** Everything passes. */
    public static GatewayFilters none() {
        return new GatewayFilters(Set.of(), Set.of(), false);
    }

    /** True when the dispatch goes on to the bot. */
    public boolean deliver(Dispatch d) {
        String type = d.type();
        if (skipEvents.contains(type) || (!events.isEmpty() && !events.contains(type) && !type.startsWith(SIGNAL_PREFIX))) {
            skippedTypes.increment();
            return false;
        }
        if (edits != null && !edits.changesContent(d)) {
            skippedEdits.increment();
            return false;
        }
        return true;
    }

    /** Dispatches not delivered because of their type. */
    public long skippedTypes() {
        return skippedTypes.sum();
    }

    /** MESSAGE_UPDATEs not delivered because the content stayed the same. */
    public long skippedEdits() {
        return skippedEdits.sum();
    }
}
