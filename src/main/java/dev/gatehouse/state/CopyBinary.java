package dev.gatehouse.state;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.copy.CopyIn;

/**
 * Rows in PostgreSQL's binary COPY format, written straight into one reused byte buffer and sent to a {@link CopyIn}
 * piece by piece. Measured against the text format on the same rows (docs/BENCHMARKS.md, initial load): PostgreSQL
 * reads binary rows faster (no line splitting, no unescaping, numbers and booleans need no parsing), and the writer
 * has no escaping to do. Each column goes in the binary form of its staging type ({@link #stagingType}): bigint,
 * integer and boolean as numbers, text as UTF-8, jsonb as version 1 + its text; timestamps and arrays are staged as
 * text and cast by the merge. Rows that go straight into the table ({@code direct}) carry timestamps as microseconds
 * and arrays in the binary array form, read here only from the exact forms Discord and the reader produce
 * ({@link #encodable}).
 */
final class CopyBinary {
    /** "PGCOPY\n\377\r\n\0", then no flags and no header extension. */
    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    /** Kinds of column by how they are written. */
    private static final int BIGINT = 0, INTEGER = 1, BOOLEAN = 2, TEXT = 3, JSONB = 4, TIMESTAMPTZ = 5, BIGINT_ARRAY = 6;
    /** PostgreSQL's type oid of bigint, which a binary array names for its elements. */
    private static final int INT8_OID = 20;
    /** 2000-01-01T00:00:00Z, where PostgreSQL's binary timestamps count microseconds from, in Unix seconds. */
    private static final long PG_EPOCH_SECONDS = 946_684_800L;
    /** Sent to the server in pieces of about this many bytes, so a flush never holds all its rows encoded. */
    private static final int PIECE_BYTES = 1 << 18;

    private final Table table;
    private final boolean direct;
    private final int[] kinds;
    /** The jsonb {@code data} column, whose value a row holds as UTF-8 bytes ({@link Change.Row#data}), or -1. */
    private final int dataColumn;
    private byte[] buf = new byte[PIECE_BYTES + 65_536];
    private int pos;

    /**
     * @param direct rows go straight into the table itself (its own types: timestamps and arrays in binary too, and no
     *               {@code gone} column), not into its staging table
     */
    CopyBinary(Table table, boolean direct) {
        this.table = table;
        this.direct = direct;
        List<Table.Column> columns = table.columns;
        this.kinds = new int[columns.size()];
        this.dataColumn = Change.Row.dataColumn(table);
        for (int i = 0; i < kinds.length; i++) {
            String type = columns.get(i).type();
            kinds[i] = switch (direct ? type : stagingType(type)) {
                case "bigint" -> BIGINT;
                case "integer" -> INTEGER;
                case "boolean" -> BOOLEAN;
                case "jsonb" -> JSONB;
                case "text" -> TEXT;
                case "timestamptz" -> TIMESTAMPTZ;
                case "bigint[]" -> BIGINT_ARRAY;
                default -> throw new IllegalArgumentException(table + "." + columns.get(i).name() + ": no binary COPY for " + type);
            };
        }
    }

    /**
     * Microseconds since 2000-01-01 UTC of a timestamp in Discord's form, {@code 2021-06-05T12:34:56[.ffffff](+hh:mm|Z)}
     * (read by hand: {@code OffsetDateTime.parse} cost several microseconds a member); {@code Long.MIN_VALUE} when it
     * is in any other form, or finer than a microsecond.
     */
    static long micros(String v) {
        int n = v.length();
        if (n < 20 || v.charAt(4) != '-' || v.charAt(7) != '-' || v.charAt(10) != 'T' || v.charAt(13) != ':' || v.charAt(16) != ':') {
            return Long.MIN_VALUE;
        }
        int year = digits(v, 0, 4), month = digits(v, 5, 2), day = digits(v, 8, 2);
        int hour = digits(v, 11, 2), minute = digits(v, 14, 2), second = digits(v, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59) {
            return Long.MIN_VALUE;
        }
        int i = 19;
        long fraction = 0;
        if (v.charAt(i) == '.') {
            int start = ++i;
            while (i < n && v.charAt(i) >= '0' && v.charAt(i) <= '9') {
                i++;
            }
            int len = i - start;
            if (len < 1 || len > 6) {
                return Long.MIN_VALUE;
            }
            fraction = digits(v, start, len);
            for (int k = len; k < 6; k++) {
                fraction *= 10;
            }
        }
        int offsetSeconds;
        if (i == n - 1 && v.charAt(i) == 'Z') {
            offsetSeconds = 0;
        } else if (i == n - 6 && (v.charAt(i) == '+' || v.charAt(i) == '-') && v.charAt(i + 3) == ':') {
            int oh = digits(v, i + 1, 2), om = digits(v, i + 4, 2);
            if (oh < 0 || oh > 18 || om < 0 || om > 59) {
                return Long.MIN_VALUE;
            }
            offsetSeconds = (oh * 3600 + om * 60) * (v.charAt(i) == '-' ? -1 : 1);
        } else {
            return Long.MIN_VALUE;
        }
        if (day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
            return Long.MIN_VALUE;
        }
        long days = java.time.LocalDate.of(year, month, day).toEpochDay();
        long epochSeconds = days * 86_400 + hour * 3600L + minute * 60L + second - offsetSeconds;
        return (epochSeconds - PG_EPOCH_SECONDS) * 1_000_000L + fraction;
    }

    /** The number written by {@code len} decimal digits at {@code from}, or -1 when they are not all digits. */
    private static int digits(String v, int from, int len) {
        int x = 0;
        for (int i = from; i < from + len; i++) {
            char ch = v.charAt(i);
            if (ch < '0' || ch > '9') {
                return -1;
            }
            x = x * 10 + (ch - '0');
        }
        return x;
    }

    /** The elements of a bigint array literal {@code {1,2,3}} (no nulls, no spaces, one dimension), or null. */
    static long[] longs(String v) {
        int n = v.length();
        if (n < 2 || v.charAt(0) != '{' || v.charAt(n - 1) != '}') {
            return null;
        }
        if (n == 2) {
            return new long[0];
        }
        int count = 1;
        for (int i = 1; i < n - 1; i++) {
            if (v.charAt(i) == ',') {
                count++;
            }
        }
        long[] out = new long[count];
        int k = 0;
        int i = 1;
        while (i < n) {
            boolean negative = v.charAt(i) == '-';
            if (negative) {
                i++;
            }
            long x = 0;
            int digits = 0;
            while (i < n - 1 && v.charAt(i) >= '0' && v.charAt(i) <= '9') {
                int d = v.charAt(i) - '0';
                if (x > (Long.MAX_VALUE - d) / 10) {
                    return null; // beyond a bigint (or Long.MIN_VALUE itself, no snowflake): left to PostgreSQL
                }
                x = x * 10 + d;
                digits++;
                i++;
            }
            if (digits == 0 || (v.charAt(i) != ',' && i != n - 1)) {
                return null;
            }
            out[k++] = negative ? -x : x;
            i++;
        }
        return out;
    }

    /**
     * The column type of a staging table for a state column's type: timestamps and arrays are staged as text (their
     * binary forms would need Discord's ISO timestamps and array literals re-encoded here), the rest as themselves.
     */
    static String stagingType(String type) {
        return type.equals("timestamptz") || type.endsWith("[]") ? "text" : type;
    }

    /** Writes every row to {@code in} and ends the COPY (the staging form: a value a column cannot hold is an error). */
    void write(CopyIn in, Iterable<Change.Row> rows) throws SQLException {
        start();
        for (Change.Row r : rows) {
            add(in, r);
        }
        end(in);
    }

    /** Begins a COPY's data: the header. */
    void start() {
        pos = 0;
        put(HEADER, 0, HEADER.length);
    }

    /**
     * Appends one row, sending what is encoded whenever a piece is full. Going straight into the table ({@code direct}),
     * a value without an exact binary form here (a number, boolean, Discord's ISO timestamp to the microsecond, a
     * bigint array literal, read exactly as PostgreSQL would) leaves nothing appended and returns false: that row goes
     * the way of text (staging and merge), where PostgreSQL reads it or names what is wrong. Into the staging table
     * such a value (only numbers and booleans are binary there) is an error about the data.
     */
    boolean add(CopyIn in, Change.Row r) throws SQLException {
        int rowStart = pos;
        boolean gone = table.goneColumn != null && !direct;
        ensure(2);
        putShort((short) (kinds.length + (gone ? 1 : 0)));
        for (int c = 0; c < kinds.length; c++) {
            if (c == dataColumn) {
                jsonb(r.data);
                continue;
            }
            String what = field(c, r.values[c]);
            if (what != null) {
                if (direct) {
                    pos = rowStart;
                    return false;
                }
                throw invalid(c, r.values[c], what);
            }
        }
        if (gone) {
            ensure(5);
            putInt(1);
            buf[pos++] = (byte) (r.gone ? 1 : 0);
        }
        if (pos >= PIECE_BYTES) {
            send(in);
        }
        return true;
    }

    /** Ends the COPY's data and the COPY. */
    void end(CopyIn in) throws SQLException {
        ensure(2);
        putShort((short) -1);
        send(in);
        in.endCopy();
    }

    /** Appends one value; null when done, else what the value should have been (nothing appended then). */
    private String field(int c, String v) {
        if (v == null) {
            ensure(4);
            putInt(-1);
            return null;
        }
        switch (kinds[c]) {
            case BIGINT -> {
                long x;
                try {
                    x = Long.parseLong(v);
                } catch (NumberFormatException e) {
                    return "a bigint";
                }
                ensure(12);
                putInt(8);
                putLong(x);
            }
            case INTEGER -> {
                int x;
                try {
                    x = Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    return "an integer";
                }
                ensure(8);
                putInt(4);
                putInt(x);
            }
            case BOOLEAN -> {
                boolean x;
                switch (v) {
                    case "true", "t" -> x = true;
                    case "false", "f" -> x = false;
                    default -> {
                        return "a boolean";
                    }
                }
                ensure(5);
                putInt(1);
                buf[pos++] = (byte) (x ? 1 : 0);
            }
            case TIMESTAMPTZ -> {
                long us = micros(v);
                if (us == Long.MIN_VALUE) {
                    return "an ISO timestamp to the microsecond";
                }
                ensure(12);
                putInt(8);
                putLong(us);
            }
            case BIGINT_ARRAY -> {
                long[] a = longs(v);
                if (a == null) {
                    return "a bigint array literal";
                }
                ensure(4 + 12 + (a.length > 0 ? 8 : 0) + 12 * a.length);
                putInt(12 + (a.length > 0 ? 8 : 0) + 12 * a.length);
                putInt(a.length > 0 ? 1 : 0);
                putInt(0);
                putInt(INT8_OID);
                if (a.length > 0) {
                    putInt(a.length);
                    putInt(1);
                }
                for (long x : a) {
                    putInt(8);
                    putLong(x);
                }
            }
            case JSONB -> utf8(v, true);
            default -> utf8(v, false);
        }
        return null;
    }

    /**
     * The string's UTF-8 bytes behind their length (and jsonb's version byte). {@link String#getBytes} is the JDK's
     * intrinsic (an ASCII string is one array copy); encoding char by char into the buffer to spare the array was, in a
     * profile of the load, the database thread's hottest method.
     */
    private void utf8(String v, boolean jsonb) {
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        ensure(5 + b.length);
        putInt(b.length + (jsonb ? 1 : 0));
        if (jsonb) {
            buf[pos++] = 1;
        }
        put(b, 0, b.length);
    }

    /**
     * A {@code data} column's JSON as it is, behind its length and jsonb's version byte (NULL for none): the payload's
     * bytes of the object, already well-formed UTF-8 ({@link Entity#jsonUtf8}); no string was made of it.
     */
    private void jsonb(byte[] b) {
        if (b == null) {
            ensure(4);
            putInt(-1);
            return;
        }
        ensure(5 + b.length);
        putInt(b.length + 1);
        buf[pos++] = 1;
        put(b, 0, b.length);
    }

    /**
     * A value the column's type cannot hold: an error about the data (SQLSTATE 22P02, as PostgreSQL reports it for
     * text), so the writer writes the flush again event by event and leaves out only the events it concerns.
     */
    private SQLException invalid(int c, String v, String what) {
        String shown = v.length() > 40 ? v.substring(0, 40) + "..." : v;
        return new SQLException(table + "." + table.columns.get(c).name() + ": '" + shown + "' is not " + what, "22P02");
    }

    private void send(CopyIn in) throws SQLException {
        if (pos > 0) {
            in.writeToCopy(buf, 0, pos);
            pos = 0;
        }
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
        }
    }

    private void put(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
    }

    private void putShort(short v) {
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void putInt(int v) {
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void putLong(long v) {
        putInt((int) (v >>> 32));
        putInt((int) v);
    }
}
