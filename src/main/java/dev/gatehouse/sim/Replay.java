package dev.gatehouse.sim;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Recorded gateway payloads served as the world and the traffic, so users can test with their own captures.
 * The GUILD_CREATEs of the capture become the world (sent as recorded after READY, each to its shard); every
 * other dispatch is traffic, sent in file order at the configured rate and routed by its guild. The capture is
 * a directory of {@code .json} files (read in name order), or one file holding a JSON array or JSON lines; each
 * payload is a whole gateway payload {@code {op, t, d}} (only op 0 is used) or just {@code {t, d}}. READY and
 * RESUMED are skipped: the simulator makes its own. Replayed traffic does not change the world.
 */
final class Replay extends Traffic {
    /** Writes characters outside the BMP (emoji) as UTF-8, as Discord does, not as escaped surrogate pairs. */
    private static final com.fasterxml.jackson.core.JsonFactory RECORDED = com.fasterxml.jackson.core.JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
    private final List<Event> events;
    private final Map<Long, byte[]> guildCreates;
    private int next;

    private Replay(World world, List<Event> events, Map<Long, byte[]> guildCreates) {
        super(world);
        this.events = events;
        this.guildCreates = guildCreates;
    }

    /**
     * Reads a capture and adds its guilds to the (empty) world.
     *
     * @throws IllegalArgumentException naming the file and payload that could not be read
     */
    static Replay load(Path capture, World world) {
        List<Event> events = new ArrayList<>();
        Map<Long, byte[]> guildCreates = new HashMap<>();
        for (Path file : files(capture)) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new IllegalArgumentException("replay: cannot read " + file + ": " + e.getMessage(), e);
            }
            int index = 0;
            try (JsonParser p = SimJson.JSON.createParser(bytes)) {
                JsonToken first = p.nextToken();
                boolean array = first == JsonToken.START_ARRAY;
                JsonToken t = array ? p.nextToken() : first;
                while (t != null && t != JsonToken.END_ARRAY) {
                    index++;
                    if (t != JsonToken.START_OBJECT) {
                        throw new IOException("expected a JSON object, found " + t);
                    }
                    Event e = payload(p);
                    if ("GUILD_CREATE".equals(e.type())) {
                        World.Guild g = CapturedGuild.add(world, e.d());
                        guildCreates.put(g.id, e.d());
                    } else if (!e.type().isEmpty() && !"READY".equals(e.type()) && !"RESUMED".equals(e.type())) {
                        events.add(e);
                    }
                    t = p.nextToken();
                }
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("replay: " + file + ", payload " + index + ": " + e.getMessage(), e);
            }
        }
        return new Replay(world, events, guildCreates);
    }

    private static List<Path> files(Path capture) {
        if (!Files.isDirectory(capture)) {
            return List.of(capture);
        }
        try (Stream<Path> s = Files.list(capture)) {
            List<Path> out = s.filter(f -> f.getFileName().toString().endsWith(".json") && Files.isRegularFile(f)).sorted().toList();
            if (out.isEmpty()) {
                throw new IllegalArgumentException("replay: directory " + capture + " holds no .json files");
            }
            return out;
        } catch (IOException e) {
            throw new IllegalArgumentException("replay: cannot list " + capture + ": " + e.getMessage(), e);
        }
    }

    /** Reads one payload object (the parser is on its START_OBJECT); the type is empty for non-dispatches. */
    private static Event payload(JsonParser p) throws IOException {
        int op = 0;
        String type = null;
        byte[] d = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "op" -> op = p.getValueAsInt(-1);
                case "t" -> type = v == JsonToken.VALUE_NULL ? null : p.getValueAsString();
                case "d" -> d = compact(p);
                default -> p.skipChildren();
            }
        }
        if (op != 0) {
            return new Event("", 0, new byte[0]);
        }
        if (type == null || d == null) {
            throw new IOException("a dispatch needs \"t\" and \"d\"");
        }
        return new Event(type, guildOf(type, d), d);
    }

    /** The current value, written again without whitespace (every field, null and number kept as recorded). */
    private static byte[] compact(JsonParser p) throws IOException {
        ByteArrayBuilder out = new ByteArrayBuilder(1024);
        try (JsonGenerator g = RECORDED.createGenerator(out)) {
            g.copyCurrentStructure(p);
        }
        return out.toByteArray();
    }

    /** The guild a dispatch routes by: {@code d.guild_id}, or {@code d.id} for the GUILD_* events about the guild itself. */
    private static long guildOf(String type, byte[] d) throws IOException {
        boolean guildItself = type.equals("GUILD_CREATE") || type.equals("GUILD_UPDATE") || type.equals("GUILD_DELETE");
        try (JsonParser p = SimJson.JSON.createParser(d)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return 0;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals(guildItself ? "id" : "guild_id") && p.currentToken() == JsonToken.VALUE_STRING) {
                    return Long.parseLong(p.getText());
                }
                p.skipChildren();
            }
        }
        return 0;
    }

    /** The next recorded dispatch, or null once the capture is used up. */
    @Override
    Event next() {
        return next < events.size() ? events.get(next++) : null;
    }

    /** The guild's GUILD_CREATE as recorded. */
    @Override
    byte[] guildCreate(World.Guild g, int largeThreshold) {
        byte[] d = guildCreates.get(g.id);
        return d != null ? d : super.guildCreate(g, largeThreshold);
    }

    /** How many traffic dispatches the capture holds. */
    int size() {
        return events.size();
    }
}
