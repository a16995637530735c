package dev.gatehouse.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.postgresql.util.PGBinaryObject;
import org.postgresql.util.PGobject;

/**
 * One {@code text[]} parameter of the unnest upsert, sent in PostgreSQL's binary array format and built once at its
 * exact size. The driver's own encoding ({@code createArrayOf("text", ...)}) grows a stream by doubling and copies it
 * out again: for a flush's {@code data} column (megabytes) that was the largest item of the process's CPU profile at
 * the firehose (JFR: 14% of the samples). Its text form (an array literal, every element quoted) is what the driver
 * sends instead when binary transfer is off.
 */
final class TextArray extends PGobject implements PGBinaryObject {
    private static final int TEXT_OID = 25;

    private final transient byte[][] elements;
    private final int length;
    private final boolean nulls;

    /** {@code values} may hold nulls (SQL NULL elements). */
    TextArray(String[] values) {
        this(utf8(values));
    }

    /**
     * Elements already in UTF-8 (a {@code data} column's objects as the payload had them); nulls are SQL NULL elements.
     * The array is kept, not copied.
     */
    TextArray(byte[][] utf8) {
        setType("text[]");
        elements = utf8;
        int n = 20 + 4 * utf8.length; // ndim, has-null flag, element type, size and lower bound; a length per element
        boolean anyNull = false;
        for (byte[] e : utf8) {
            if (e == null) {
                anyNull = true;
            } else {
                n += e.length;
            }
        }
        length = n;
        nulls = anyNull;
    }

    private static byte[][] utf8(String[] values) {
        byte[][] out = new byte[values.length][];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] == null ? null : values[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    @Override
    public int lengthInBytes() {
        return length;
    }

    @Override
    public void toBytes(byte[] bytes, int offset) {
        ByteBuffer b = ByteBuffer.wrap(bytes, offset, length); // big-endian, as the protocol
        b.putInt(1).putInt(nulls ? 1 : 0).putInt(TEXT_OID).putInt(elements.length).putInt(1);
        for (byte[] e : elements) {
            if (e == null) {
                b.putInt(-1);
            } else {
                b.putInt(e.length).put(e);
            }
        }
    }

    @Override
    public void setByteValue(byte[] value, int offset) {
        throw new UnsupportedOperationException("a text[] parameter is only sent, never read back");
    }

    @Override
    public String getValue() {
        StringBuilder s = new StringBuilder(length + 2 * elements.length + 2).append('{');
        for (int i = 0; i < elements.length; i++) {
            if (i > 0) {
                s.append(',');
            }
            if (elements[i] == null) {
                s.append("NULL");
            } else {
                s.append('"').append(new String(elements[i], StandardCharsets.UTF_8).replace("\\", "\\\\").replace("\"", "\\\""))
                        .append('"');
            }
        }
        return s.append('}').toString();
    }
}
