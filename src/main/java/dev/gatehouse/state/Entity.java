package dev.gatehouse.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON object of a payload, read in a single streaming pass over the payload's bytes: where each field lies, its
 * arrays of scalars, the children its {@link Shape} names (objects or arrays of objects, read as entities of their own
 * and left out of this one's JSON), and, as a {@code data} column, the object's own bytes without those children.
 *
 * <p>Nothing is decoded that is not asked for: a field's text is made from its bytes when {@link #text} or {@link #id}
 * asks for it, and {@link #json} is the payload's slice of the object (the fields stored apart cut out), never a
 * re-serialisation. A burst of GUILD_CREATEs holds hundreds of thousands of objects; four hash maps and a JSON
 * generator per object cost more than reading them (about 1.1 GB allocated per load of 250,000 members).
 *
 * <p>An entity refers to the payload's bytes, so it lives only while its dispatch is read ({@link ChangeReader}); what it
 * gives out are strings and byte arrays of their own.
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

    /** Kinds of field: a scalar, an array kept in the JSON, a child object or child array stored apart, another object. */
    /**
     * Fields an object has room for before its arrays grow. A member has 12-13 fields, a user 11-15, a role 12-14
     * (Discord's and the simulator's): at 10 almost every one of them grew its three arrays once, 300 MB of the
     * reader's 786 MB allocated per load of 250,000 members.
     */
    private static final int INITIAL_FIELDS = 16;
    /** The bytes of an array read as longs, for {@link #ascii}. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte SCALAR = 0, LIST = 1, OBJECT = 2, ARRAY = 3, OTHER = 4;

    private final byte[] src;
    /** The object's bytes in {@link #src}: from its '{' to just after its '}'. */
    private final int start;
    private int end;
    private int n;
    private String[] names = new String[INITIAL_FIELDS];
    private byte[] kinds = new byte[INITIAL_FIELDS];
    /**
     * Three offsets per field, in one array: where its bytes start (its name's opening quote), where its value starts,
     * and where it ends (-1 until the next field or the object's end is seen).
     */
    private int[] at = new int[3 * INITIAL_FIELDS];
    /** The lists and children of fields that have them. */
    private Object[] parts;
    /** True when some field is stored apart, so {@link #json} is not the object's slice as it stands. */
    private boolean cut;

    private Entity(byte[] src, int start) {
        this.src = src;
        this.start = start;
    }

    /** Reads the object starting at the parser's current START_OBJECT token; {@code src} is what the parser reads. */
    private static Entity read(JsonParser p, byte[] src, Shape shape) throws IOException {
        Entity e = new Entity(src, offset(p));
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            int at = offset(p);
            e.close(at);
            String name = p.currentName();
            JsonToken v = p.nextToken();
            int i = e.add(name, at, offset(p));
            Shape child = shape.children().get(name);
            if (child != null && v == JsonToken.START_OBJECT) {
                e.part(i, OBJECT, read(p, src, child));
            } else if (child != null && v == JsonToken.START_ARRAY) {
                List<Entity> items = new ArrayList<>();
                JsonToken it;
                while ((it = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (it == JsonToken.START_OBJECT) {
                        items.add(read(p, src, child));
                    } else {
                        p.skipChildren();
                    }
                }
                e.part(i, ARRAY, items);
            } else if (v == JsonToken.START_ARRAY) {
                List<String> list = null;
                JsonToken it;
                while ((it = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (it.isScalarValue()) {
                        (list == null ? list = new ArrayList<>(4) : list).add(p.getText());
                    } else {
                        p.skipChildren();
                    }
                }
                e.part(i, LIST, list == null ? List.of() : list);
            } else if (v == JsonToken.START_OBJECT) {
                p.skipChildren();
                e.kinds[i] = OTHER;
            } else if (v == null) {
                throw new IOException("the payload ends inside an object");
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new IOException("the payload ends inside an object");
        }
        int close = offset(p);
        e.close(close);
        e.end = close + 1;
        return e;
    }

    private static int offset(JsonParser p) {
        return (int) p.currentTokenLocation().getByteOffset();
    }

    private int add(String name, int at, int value) {
        if (n == names.length) {
            int size = n * 2;
            names = Arrays.copyOf(names, size);
            kinds = Arrays.copyOf(kinds, size);
            this.at = Arrays.copyOf(this.at, 3 * size);
            if (parts != null) {
                parts = Arrays.copyOf(parts, size);
            }
        }
        names[n] = name;
        kinds[n] = SCALAR;
        this.at[3 * n] = at;
        this.at[3 * n + 1] = value;
        this.at[3 * n + 2] = -1;
        return n++;
    }

    private void part(int i, byte kind, Object part) {
        if (parts == null) {
            parts = new Object[names.length];
        }
        parts[i] = part;
        kinds[i] = kind;
        cut |= kind == OBJECT || kind == ARRAY;
    }

    /** Ends the last field before {@code next} (the next name's quote or the object's '}'): spaces and its comma dropped. */
    private void close(int next) {
        if (n == 0 || to(n - 1) >= 0) {
            return;
        }
        int value = valueAt(n - 1);
        int k = next;
        while (k > value && space(src[k - 1])) {
            k--;
        }
        if (src[k - 1] == ',') {
            k--;
            while (k > value && space(src[k - 1])) {
                k--;
            }
        }
        at[3 * (n - 1) + 2] = k;
    }

    private int from(int i) {
        return at[3 * i];
    }

    private int valueAt(int i) {
        return at[3 * i + 1];
    }

    private int to(int i) {
        return at[3 * i + 2];
    }

    private static boolean space(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
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
                    return read(p, frame, shape);
                }
                p.skipChildren();
            }
        }
        return null;
    }

    /** Compact JSON of this object without the children stored apart, as text (message revisions). */
    String json() {
        return cut ? new String(cutSlice(), StandardCharsets.UTF_8) : new String(src, start, end - start, StandardCharsets.UTF_8);
    }

    /**
     * The same JSON as {@link #json}, as UTF-8 bytes: the payload's own bytes of it, never a string (a {@code data}
     * column goes into COPY as these bytes; making a string of each object and its UTF-8 bytes again cost about 350 MB
     * per load of 250,000 members). Bytes that are not well-formed UTF-8 come out as {@link #json}'s text encodes them
     * (each malformed sequence a U+FFFD), so the stored object is the same either way and PostgreSQL never refuses it.
     */
    byte[] jsonUtf8() {
        byte[] b = cut ? cutSlice() : Arrays.copyOfRange(src, start, end);
        return ascii(b) ? b : new String(b, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Whether every byte is ASCII (then it is well-formed UTF-8 as it stands): eight bytes at a time, without branches
     * (byte by byte it was 1.2% of the process's samples in a profile of the load).
     */
    static boolean ascii(byte[] b) {
        long or = 0;
        int i = 0;
        for (int end = b.length - 7; i < end; i += 8) {
            or |= (long) LONGS.get(b, i);
        }
        for (; i < b.length; i++) {
            or |= b[i];
        }
        return (or & 0x8080_8080_8080_8080L) == 0;
    }

    /** The object's bytes with the fields stored apart cut out. */
    private byte[] cutSlice() {
        int len = 2;
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (kinds[i] != OBJECT && kinds[i] != ARRAY) {
                len += to(i) - from(i) + (kept++ > 0 ? 1 : 0);
            }
        }
        byte[] b = new byte[len];
        int pos = 0;
        b[pos++] = '{';
        kept = 0;
        for (int i = 0; i < n; i++) {
            if (kinds[i] != OBJECT && kinds[i] != ARRAY) {
                if (kept++ > 0) {
                    b[pos++] = ',';
                }
                System.arraycopy(src, from(i), b, pos, to(i) - from(i));
                pos += to(i) - from(i);
            }
        }
        b[pos] = '}';
        return b;
    }

    /** The last field of that name (as a JSON object's duplicate names go, the last wins), or -1. */
    private int find(String name) {
        for (int i = n - 1; i >= 0; i--) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private int scalar(String name) {
        int i = find(name);
        return i >= 0 && kinds[i] == SCALAR ? i : -1;
    }

    /** A top-level scalar as text; null when absent or JSON null. */
    String text(String name) {
        int i = scalar(name);
        if (i < 0) {
            return null;
        }
        int a = valueAt(i), b = to(i);
        byte first = src[a];
        if (first == '"') {
            for (int k = a + 1; k < b - 1; k++) {
                if (src[k] == '\\') {
                    return unescaped(a, b);
                }
            }
            return new String(src, a + 1, b - a - 2, StandardCharsets.UTF_8);
        }
        if (first == 'n') {
            return null;
        }
        return new String(src, a, b - a, StandardCharsets.ISO_8859_1); // a number, true or false: ASCII
    }

    /** A JSON string with escapes, read by the parser. */
    private String unescaped(int a, int b) {
        try (JsonParser p = JSON.createParser(src, a, b - a)) {
            p.nextToken();
            return p.getText();
        } catch (IOException e) {
            throw new IllegalStateException("a string the parser read once cannot be read again", e);
        }
    }

    boolean has(String name) {
        int i = find(name);
        return i >= 0 && kinds[i] != OTHER;
    }

    /** A snowflake (or any integer) field as text for a bigint column; null when absent or not a number. */
    String id(String name) {
        int i = scalar(name);
        if (i < 0) {
            return null;
        }
        int a = valueAt(i), b = to(i);
        if (src[a] == '"') {
            a++;
            b--;
        }
        if (a >= b) {
            return null;
        }
        for (int k = a; k < b; k++) {
            byte c = src[k];
            if ((c < '0' || c > '9') && !(k == a && c == '-')) {
                return null;
            }
        }
        return new String(src, a, b - a, StandardCharsets.ISO_8859_1);
    }

    Entity object(String name) {
        int i = find(name);
        return i >= 0 && kinds[i] == OBJECT ? (Entity) parts[i] : null;
    }

    @SuppressWarnings("unchecked")
    List<Entity> array(String name) {
        int i = find(name);
        return i >= 0 && kinds[i] == ARRAY ? (List<Entity>) parts[i] : List.of();
    }

    @SuppressWarnings("unchecked")
    List<String> list(String name) {
        int i = find(name);
        return i >= 0 && kinds[i] == LIST ? (List<String>) parts[i] : List.of();
    }
}
