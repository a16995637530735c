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
        setType("text[]");
        elements = new byte[values.length][];
        int n = 20 + 4 * values.length; // ndim, has-null flag, element type, size and lower bound; a length per element
        boolean anyNull = false;
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                anyNull = true;
            } else {
                elements[i] = values[i].getBytes(StandardCharsets.UTF_8);
                n += elements[i].length;
            }
        }
        length = n;
        nulls = anyNull;
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
