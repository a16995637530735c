package dev.gatehouse.discord;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;

/** The guild ids a READY announces (all unavailable until their GUILD_CREATE). READY is rare: a second pass is fine. */
public final class ReadyGuilds {
    private ReadyGuilds() {
    }

    /** The ids of {@code d.guilds[*].id} of a READY frame. */
    public static long[] read(byte[] buf, int off, int len) throws IOException {
        Ids ids = new Ids();
        DataFields.read(buf, off, len, ids);
        return Arrays.copyOf(ids.ids, ids.n);
    }

    /** Collects {@code guilds[*].id}, skipping every other member of {@code d}. */
    private static final class Ids implements DataFields.Member {
        long[] ids = new long[16];
        int n;

        @Override
        public void read(String name, JsonToken value, JsonParser p) throws IOException {
            if (!"guilds".equals(name) || value != JsonToken.START_ARRAY) {
                p.skipChildren();
                return;
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
