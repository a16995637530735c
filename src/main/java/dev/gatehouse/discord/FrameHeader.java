package dev.gatehouse.discord;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The routing keys of one gateway frame, read in a single streaming pass: {@code op}, {@code s}, {@code t},
 * the guild the event belongs to, and the few fields the shard itself needs (Hello's interval, READY's
 * session, op 9's flag). Mutable and reused per connection so the hot path allocates no tree.
 */
public final class FrameHeader {
    private static final JsonFactory JSON = new JsonFactory();

    /** Opcode, or -1 when the frame had none. */
    public int op;
    /** Sequence number, or -1 when null or absent. */
    public long seq;
    /** Dispatch type, or null. */
    public String type;
    /** Guild the event belongs to, or 0 for events without a guild. */
    public long guildId;
    /** {@code d.heartbeat_interval} (Hello), or 0. */
    public long heartbeatInterval;
    /** {@code d} when it is a boolean (op 9: resumable), else {@code d.unavailable} (GUILD_DELETE: an outage). */
    public boolean flag;
    /** {@code d.session_id}, or null. */
    public String sessionId;
    /** {@code d.resume_gateway_url}, or null. */
    public String resumeGatewayUrl;

    private long dId;
    private long dGuildId;

    /**
     * Reads a whole frame.
     *
     * @throws IOException naming what was malformed; the frame is then not usable
     */
    public void read(byte[] buf, int off, int len) throws IOException {
        op = -1;
        seq = -1;
        type = null;
        guildId = 0;
        heartbeatInterval = 0;
        flag = false;
        sessionId = null;
        resumeGatewayUrl = null;
        dId = 0;
        dGuildId = 0;
        try (JsonParser p = JSON.createParser(buf, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("gateway frame is not a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "op" -> op = v == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : -1;
                    case "s" -> seq = v == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                    case "t" -> type = v == JsonToken.VALUE_STRING ? DispatchTypes.canonical(p) : null;
                    case "d" -> readData(p, v);
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new IOException("gateway frame ends early");
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("malformed gateway frame: " + e.getOriginalMessage(), e);
        }
        if (op < 0) {
            throw new IOException("gateway frame has no op");
        }
        guildId = dGuildId != 0 ? dGuildId : (isGuildObject(type) ? dId : 0);
    }

    /** Events whose {@code d} is the guild itself, so {@code d.id} is the guild id. */
    private static boolean isGuildObject(String type) {
        return "GUILD_CREATE".equals(type) || "GUILD_UPDATE".equals(type) || "GUILD_DELETE".equals(type);
    }

    private void readData(JsonParser p, JsonToken v) throws IOException {
        if (v == JsonToken.VALUE_TRUE || v == JsonToken.VALUE_FALSE) {
            flag = v == JsonToken.VALUE_TRUE;
            return;
        }
        if (v != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken f = p.nextToken();
            switch (name) {
                case "guild_id" -> dGuildId = snowflake(p, f);
                case "id" -> dId = snowflake(p, f);
                case "heartbeat_interval" -> heartbeatInterval = f == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : 0;
                case "session_id" -> sessionId = f == JsonToken.VALUE_STRING ? p.getText() : null;
                case "resume_gateway_url" -> resumeGatewayUrl = f == JsonToken.VALUE_STRING ? p.getText() : null;
                case "unavailable" -> flag = f == JsonToken.VALUE_TRUE;
                default -> p.skipChildren();
            }
        }
    }

    /** A snowflake from a JSON string (or number) without allocating; 0 when absent or not a snowflake. */
    static long snowflake(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT) {
            return p.getLongValue();
        }
        if (t != JsonToken.VALUE_STRING) {
            return 0;
        }
        char[] c = p.getTextCharacters();
        int o = p.getTextOffset();
        int n = p.getTextLength();
        if (n == 0 || n > 20) {
            return 0;
        }
        long v = 0;
        for (int i = o; i < o + n; i++) {
            int d = c[i] - '0';
            if (d < 0 || d > 9) {
                return 0;
            }
            v = v * 10 + d;
        }
        return v;
    }
}
