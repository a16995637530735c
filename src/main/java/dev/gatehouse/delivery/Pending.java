package dev.gatehouse.delivery;

/**
 * One event waiting for the bot: its identity (shard, session, seq), its wrapped body, and when its frame
 * arrived (0 when read back from the spill). {@code spillEnd} is the spill position that acknowledges it, or -1
 * for an event held in memory; {@code destination} a controller's route ({@code ""} for the default).
 */
record Pending(long order, int shardId, String sessionId, long seq, String type, byte[] body, long receivedNanos,
               long spillEnd, String destination) {

    /** Bytes it occupies in memory, roughly: the body plus a fixed overhead. */
    long size() {
        return body.length + 96L;
    }

    @Override
    public String toString() {
        return "shard " + shardId + " seq " + seq + " " + type;
    }
}
