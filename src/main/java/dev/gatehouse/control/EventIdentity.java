package dev.gatehouse.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * A dispatch as the world knows it, the same on every session that receives it: guild, type and a 64-bit hash
 * of the {@code d} bytes (seqs and sessions differ between two shard sets, the event does not). Two equal
 * events (two identical typings in one second) have equal identities; the hand-over counts them, in order.
 */
record EventIdentity(long guildId, String type, long hash) {
    private static final JsonFactory JSON = new JsonFactory();

    /** The identity of a whole gateway frame {@code {op, s, t, d}}. */
    static EventIdentity of(String type, long guildId, byte[] buf, int off, int len) {
        int[] d = dRange(buf, off, len);
        long h = 0xcbf29ce484222325L; // FNV-1a 64 over the d bytes, then the length
        for (int i = d[0]; i < d[1]; i++) {
            h ^= buf[i] & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= d[1] - d[0];
        h *= 0x100000001b3L;
        return new EventIdentity(guildId, type, h);
    }

    /** Where the top-level {@code d} value lies in the frame; the whole frame when it cannot be found. */
    private static int[] dRange(byte[] buf, int off, int len) {
        try (JsonParser p = JSON.createParser(buf, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new int[] {off, off + len};
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if ("d".equals(name)) {
                    int start = off + (int) p.currentTokenLocation().getByteOffset();
                    if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
                        p.skipChildren();
                    }
                    int end = off + (int) p.currentLocation().getByteOffset();
                    return new int[] {start, Math.max(start, Math.min(end, off + len))};
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            // a frame the shard published anyway: hash all of it (both sets got the same bytes but their seqs)
        }
        return new int[] {off, off + len};
    }
}
