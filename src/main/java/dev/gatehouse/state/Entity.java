package dev.gatehouse.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON object of a payload, read in a single streaming pass: its top-level scalars, its arrays of
 * scalars, the children its {@link Shape} names (objects or arrays of objects, read as entities of their own
 * and left out of this one's JSON), and the compact JSON text of the rest, which becomes a {@code data} column.
 */
final class Entity {
    static final JsonFactory JSON = new JsonFactory();

    /** Which children of an object are stored apart; each with the shape of its own children. */
    record Shape(Map<String, Shape> children) {
        static final Shape FLAT = new Shape(Map.of());

        static Shape of(Object... nameShapePairs) {
            Map<String, Shape> m = new HashMap<>();
            for (int i = 0; i < nameShapePairs.length; i += 2) {
                m.put((String) nameShapePairs[i], (Shape) nameShapePairs[i + 1]);
            }
            return new Shape(m);
        }
    }

    private final Map<String, String> scalars = new HashMap<>();
    private final Map<String, List<String>> lists = new HashMap<>();
    private final Map<String, Entity> objects = new HashMap<>();
    private final Map<String, List<Entity>> arrays = new HashMap<>();
    private String json;

    /**
     * One JSON writer per nesting depth, reused for every object read at that depth: creating a generator per
     * object (hundreds of thousands in a burst of GUILD_CREATEs) cost more than reading the objects. Each thread
     * that reads (the state writer's) has its own.
     */
    private static final class Writers {
        private final List<ByteArrayBuilder> bytes = new ArrayList<>();
        private final List<JsonGenerator> generators = new ArrayList<>();

        JsonGenerator at(int depth) throws IOException {
            while (generators.size() <= depth) {
                ByteArrayBuilder b = new ByteArrayBuilder(1024);
                JsonGenerator g = JSON.createGenerator(b);
                g.setRootValueSeparator(null);
                bytes.add(b);
                generators.add(g);
            }
            return generators.get(depth);
        }

        /** The text written at this depth since the last call. */
        String take(int depth) throws IOException {
            generators.get(depth).flush();
            ByteArrayBuilder b = bytes.get(depth);
            String s = new String(b.getCurrentSegment(), 0, b.getCurrentSegmentLength(), StandardCharsets.UTF_8);
            if (b.size() != b.getCurrentSegmentLength()) {
                s = new String(b.toByteArray(), StandardCharsets.UTF_8); // a long object spilled over segments
            }
            b.reset();
            return s;
        }
    }

    private static final ThreadLocal<Writers> WRITERS = ThreadLocal.withInitial(Writers::new);

    /** Reads the object starting at the parser's current START_OBJECT token. */
    static Entity read(JsonParser p, Shape shape) throws IOException {
        return read(p, shape, WRITERS.get(), 0);
    }

    private static Entity read(JsonParser p, Shape shape, Writers writers, int depth) throws IOException {
        Entity e = new Entity();
        JsonGenerator g = writers.at(depth);
        try {
            g.writeStartObject();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                Shape child = shape.children().get(name);
                if (child != null && v == JsonToken.START_OBJECT) {
                    e.objects.put(name, read(p, child, writers, depth + 1));
                } else if (child != null && v == JsonToken.START_ARRAY) {
                    List<Entity> items = new ArrayList<>();
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        items.add(read(p, child, writers, depth + 1));
                    }
                    e.arrays.put(name, items);
                } else if (v == JsonToken.START_ARRAY) {
                    g.writeFieldName(name);
                    g.writeStartArray();
                    List<String> list = null;
                    JsonToken t;
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        if (t.isScalarValue()) {
                            (list == null ? list = new ArrayList<>() : list).add(p.getText());
                            g.copyCurrentEvent(p);
                        } else {
                            g.copyCurrentStructure(p);
                        }
                    }
                    g.writeEndArray();
                    e.lists.put(name, list == null ? List.of() : list);
                } else if (v == JsonToken.START_OBJECT) {
                    g.writeFieldName(name);
                    g.copyCurrentStructure(p);
                } else {
                    g.writeFieldName(name);
                    g.copyCurrentEvent(p);
                    e.scalars.put(name, v == JsonToken.VALUE_NULL ? null : p.getText());
                }
            }
            g.writeEndObject();
            e.json = writers.take(depth);
        } catch (IOException | RuntimeException ex) {
            WRITERS.remove(); // a generator left mid-object is not reused
            throw ex;
        }
        return e;
    }

    /** Reads {@code d} of a whole gateway frame, or returns null when {@code d} is not an object. */
    static Entity readData(byte[] frame, int len, Shape shape) throws IOException {
        try (JsonParser p = JSON.createParser(frame, 0, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("frame is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if ("d".equals(name) && v == JsonToken.START_OBJECT) {
                    return read(p, shape);
                }
                p.skipChildren();
            }
        }
        return null;
    }

    /** Compact JSON of this object without the children stored apart. */
    String json() {
        return json;
    }

    /** A top-level scalar as text; null when absent or JSON null. */
    String text(String name) {
        return scalars.get(name);
    }

    boolean has(String name) {
        return scalars.containsKey(name) || objects.containsKey(name) || arrays.containsKey(name) || lists.containsKey(name);
    }

    /** A snowflake (or any integer) field as text for a bigint column; null when absent or not a number. */
    String id(String name) {
        String s = scalars.get(name);
        if (s == null || s.isEmpty()) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < '0' || c > '9') && !(i == 0 && c == '-')) {
                return null;
            }
        }
        return s;
    }

    Entity object(String name) {
        return objects.get(name);
    }

    List<Entity> array(String name) {
        return arrays.getOrDefault(name, List.of());
    }

    List<String> list(String name) {
        return lists.getOrDefault(name, List.of());
    }
}
