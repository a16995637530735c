package dev.gatehouse.discord;

import java.nio.charset.StandardCharsets;

/** Writers of the frames a client sends to the gateway. The token goes into the frame and nowhere else. */
public final class Payloads {
    private Payloads() {
    }

    /** op 1 with the last sequence number seen, or null before any. */
    public static String heartbeat(long seq) {
        return "{\"op\":1,\"d\":" + (seq < 0 ? "null" : Long.toString(seq)) + "}";
    }

    /** Discord's largest large_threshold, what Gatehouse asks for unless a controller changes it. */
    public static final int DEFAULT_LARGE_THRESHOLD = 250;

    /** op 2: identify this shard. */
    public static String identify(String token, int shardId, int shardCount, long intents) {
        return identify(token, shardId, shardCount, intents, DEFAULT_LARGE_THRESHOLD, "");
    }

    /**
     * op 2 with a {@code large_threshold} and a {@code presence} (raw JSON object, {@code ""} for none), as a
     * controller may set them.
     */
    public static String identify(String token, int shardId, int shardCount, long intents, int largeThreshold, String presence) {
        return write(g -> {
            g.writeNumberField("op", Opcode.IDENTIFY);
            g.writeObjectFieldStart("d");
            g.writeStringField("token", token);
            g.writeObjectFieldStart("properties");
            g.writeStringField("os", System.getProperty("os.name", "linux").toLowerCase(java.util.Locale.ROOT));
            g.writeStringField("browser", "gatehouse");
            g.writeStringField("device", "gatehouse");
            g.writeEndObject();
            g.writeBooleanField("compress", false);
            g.writeNumberField("large_threshold", largeThreshold);
            if (!presence.isBlank()) {
                g.writeFieldName("presence");
                g.writeRawValue(presence);
            }
            g.writeArrayFieldStart("shard");
            g.writeNumber(shardId);
            g.writeNumber(shardCount);
            g.writeEndArray();
            g.writeNumberField("intents", intents);
            g.writeEndObject();
        });
    }

    /** op 6: resume a session after its last seen sequence number. */
    public static String resume(String token, String sessionId, long seq) {
        return write(g -> {
            g.writeNumberField("op", Opcode.RESUME);
            g.writeObjectFieldStart("d");
            g.writeStringField("token", token);
            g.writeStringField("session_id", sessionId);
            g.writeNumberField("seq", seq);
            g.writeEndObject();
        });
    }

    private static String write(JsonObject.Fields fields) {
        return new String(JsonObject.bytes(fields), StandardCharsets.UTF_8);
    }
}
