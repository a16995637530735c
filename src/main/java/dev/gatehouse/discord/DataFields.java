package dev.gatehouse.discord;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The one walk to a gateway frame's {@code d} for the readers that need a field {@link FrameHeader} does not
 * keep (READY's guild ids, a message's content): jackson-core's streaming parser, every member of the frame
 * other than {@code d} skipped by its brackets, then each member of {@code d} handed to a {@link Member}.
 */
public final class DataFields {
    private static final JsonFactory JSON = new JsonFactory();

    /** One member of {@code d}: read its value from the parser, or skip it ({@link JsonParser#skipChildren}). */
    @FunctionalInterface
    public interface Member {
        void read(String name, JsonToken value, JsonParser p) throws IOException;
    }

    private DataFields() {
    }

    /**
     * Hands every member of the frame's {@code d} object to {@code member}, in order; false when the frame is
     * not an object or has no object {@code d}. Malformed JSON is an {@link IOException} naming what was wrong.
     */
    public static boolean read(byte[] buf, int off, int len, Member member) throws IOException {
        try (JsonParser p = JSON.createParser(buf, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (!"d".equals(name) || v != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    member.read(f, p.nextToken(), p);
                }
                return true;
            }
            return false;
        }
    }
}
