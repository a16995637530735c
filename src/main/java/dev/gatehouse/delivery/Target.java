package dev.gatehouse.delivery;

import java.util.List;

/** Where the lanes send batches: the bot's HTTP endpoint ({@link BotClient}) or a controller's target. */
interface Target {
    /** Sends the batch, in order; never throws for what the far side does. */
    Answer post(List<Pending> batch) throws InterruptedException;

    /**
     * The most events the next POST may carry: {@code configured} ({@code delivery.batchSize}) unless the target
     * itself said how many it takes (the bot's {@code Gatehouse-Batch} answer header).
     */
    default int batchLimit(int configured) {
        return configured;
    }

    /** Where it sends, for log lines (no secrets). */
    String where();

    /** Lets go of what it holds open (connections), once the lanes are closed. */
    default void close() {
    }
}
