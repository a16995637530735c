package dev.gatehouse.discord;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;

/** The guild ids a READY announces (all unavailable until their GUILD_CREATE). READY is rare: a second pass is fine. */
public final class ReadyGuilds {
    private static final JsonFactory JSON = new JsonFactory();

    private ReadyGuilds() {
    }

    /** The ids of {@code d.guilds[*].id} of a READY frame. */
    public static long[] read(byte[] buf, int off, int len) throws IOException {
        long[] ids = new long[16];
        int n = 0;
        try (JsonParser p = JSON.createParser(buf, off, len)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (!"d".equals(name) || v != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    JsonToken fv = p.nextToken();
                    if (!"guilds".equals(f) || fv != JsonToken.START_ARRAY) {
                        p.skipChildren();
                        continue;
                    }
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String g = p.currentName();
                            JsonToken gv = p.nextToken();
                            if ("id".equals(g)) {
                                if (n == ids.length) {
                                    ids = Arrays.copyOf(ids, n * 2);
                                }
                                ids[n++] = snowflake(p, gv);
                            } else {
                                p.skipChildren();
                            }
                        }
                    }
                }
            }
        }
        return Arrays.copyOf(ids, n);
    }

    /** A snowflake from a JSON string (or number) without allocating; 0 when absent or not a snowflake. */
    static long snowflake(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT) {
            return p.getLongValue();
        }
        if (t != JsonToken.VALUE_STRING) {
            p.skipChildren();
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
