package dev.gatehouse.delivery;

/** One event waiting for the bot: its identity (shard, session, seq), its wrapped body, and when its frame arrived. */
record Pending(long order, int shardId, String sessionId, long seq, String type, byte[] body, long receivedNanos) {

    @Override
    public String toString() {
        return "shard " + shardId + " seq " + seq + " " + type;
    }
}
