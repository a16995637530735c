package dev.gatehouse.spi;

/**
 * One event handed to a {@link DeliveryTarget}.
 *
 * @param shardId     the shard that received it
 * @param sessionId   the gateway session ({@code ""} when unknown); with shardId and seq its identity
 * @param seq         its sequence number
 * @param type        the dispatch type
 * @param destination a controller's route ({@code ""} for the default)
 * @param envelope    the delivery envelope {@code {"shardId":..,"sessionId":..,"kind":..,"data":<frame>}} (UTF-8 JSON)
 */
public record DeliveredEvent(int shardId, String sessionId, long seq, String type, String destination, byte[] envelope) {
}
