package dev.gatehouse.spi;

import java.util.List;

/**
 * Where events go instead of the HTTP POST (a broker, a queue, a file). Gatehouse calls it from one thread per
 * delivery connection, with a batch of up to {@code delivery.batchSize} events of the same shards in order,
 * and retries a held batch with backoff: a target answers what happened, and only a refusal sets an event
 * aside (dead letters). An exception counts as {@link Result#hold(String)}.
 */
public interface DeliveryTarget {

    /** Delivers the batch, in order. */
    Result deliver(List<DeliveredEvent> batch) throws InterruptedException;

    /**
     * What happened to a batch.
     *
     * @param outcome      delivered, hold (retry later), or refused (the batch's events go to the dead letters)
     * @param detail       a short text for logs and dead letters
     * @param retryAfterMs the least wait before retrying a held batch; 0 for the default backoff
     */
    record Result(Outcome outcome, String detail, long retryAfterMs) {
        /** The three meanings. */
        public enum Outcome { DELIVERED, HOLD, REFUSED }

        public static Result delivered() {
            return new Result(Outcome.DELIVERED, "", 0);
        }

        public static Result hold(String why) {
            return new Result(Outcome.HOLD, why, 0);
        }

        public static Result refused(String why) {
            return new Result(Outcome.REFUSED, why, 0);
        }
    }
}
