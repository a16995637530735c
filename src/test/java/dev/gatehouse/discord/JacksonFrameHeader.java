package dev.gatehouse.discord;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The reference reading of a frame's routing keys with jackson-core's streaming parser (what {@link FrameHeader}
 * did before its byte scan): the fuzz test's oracle and the benchmark's baseline. Values it does not read are
 * skipped with {@link JsonParser#skipChildren()}.
 */
public final class JacksonFrameHeader {
    private static final JsonFactory JSON = new JsonFactory();

    public int op;
    public long seq;
    public String type;
    public long guildId;
    public long heartbeatInterval;
    public boolean flag;
    public String sessionId;
    public String resumeGatewayUrl;
    private long dId;
    private long dGuildId;

    /** Reads a whole frame, as {@link FrameHeader#read} does. */
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
                    case "op" -> op = v == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : skip(p, -1);
                    case "s" -> seq = v == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : skip(p, -1);
                    case "t" -> type = v == JsonToken.VALUE_STRING ? DispatchTypes.canonical(p.getText()) : skip(p, null);
                    case "d" -> readData(p, v);
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new IOException("gateway frame ends early");
            }
        } catch (JsonProcessingException e) {
            throw new IOException("malformed gateway frame: " + e.getOriginalMessage(), e);
        }
        if (op < 0) {
            throw new IOException("gateway frame has no op");
        }
        guildId = dGuildId != 0 ? dGuildId : ("GUILD_CREATE".equals(type) || "GUILD_UPDATE".equals(type)
                || "GUILD_DELETE".equals(type) ? dId : 0);
    }

    private static <T> T skip(JsonParser p, T value) throws IOException {
        p.skipChildren();
        return value;
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
                case "guild_id" -> dGuildId = ReadyGuilds.snowflake(p, f);
                case "id" -> dId = ReadyGuilds.snowflake(p, f);
                case "heartbeat_interval" -> heartbeatInterval = f == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : skip(p, 0L);
                case "session_id" -> sessionId = f == JsonToken.VALUE_STRING ? p.getText() : skip(p, null);
                case "resume_gateway_url" -> resumeGatewayUrl = f == JsonToken.VALUE_STRING ? p.getText() : skip(p, null);
                case "unavailable" -> flag = f == JsonToken.VALUE_TRUE || skip(p, false);
                default -> p.skipChildren();
            }
        }
    }
}
