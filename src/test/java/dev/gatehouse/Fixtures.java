package dev.gatehouse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The real captured Discord payloads of {@code shared/fixtures/discord-v10}, one compact frame per element. */
public final class Fixtures {
    private static final JsonFactory JSON = new JsonFactory();

    private Fixtures() {
    }

    /** The fixtures folder: beside the checkout, as CI lays it out. */
    public static Path dir() {
        for (Path p : List.of(Path.of("../shared/fixtures/discord-v10"), Path.of("../../shared/fixtures/discord-v10"))) {
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        throw new IllegalStateException("shared/fixtures/discord-v10 not found beside the checkout");
    }

    /** Every frame of one fixture file (a JSON array of frames), each as compact JSON bytes. */
    public static List<byte[]> frames(String file) {
        try (JsonParser p = JSON.createParser(Files.readAllBytes(dir().resolve(file)))) {
            List<byte[]> out = new ArrayList<>();
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new IOException(file + " is not a JSON array");
            }
            while (p.nextToken() == JsonToken.START_OBJECT) {
                ByteArrayBuilder b = new ByteArrayBuilder();
                try (JsonGenerator g = JSON.createGenerator(b)) {
                    g.copyCurrentStructure(p);
                }
                out.add(b.toByteArray());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
