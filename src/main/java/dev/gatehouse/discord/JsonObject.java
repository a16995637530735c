package dev.gatehouse.discord;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Writes one JSON object with a streaming generator: the frames a client sends, the simulator's payloads. */
public final class JsonObject {
    /** Shared factory: thread-safe, and it recycles its buffers. */
    public static final JsonFactory JSON = new JsonFactory();

    /** Writes the fields of an object (the braces are written around them). */
    public interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private JsonObject() {
    }

    /** The UTF-8 bytes of {@code {<fields>}}. */
    public static byte[] bytes(Fields fields) {
        ByteArrayBuilder out = new ByteArrayBuilder(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
