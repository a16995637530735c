package dev.gatehouse.discord;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The routing keys of one gateway frame, read in a single pass over its bytes: {@code op}, {@code s}, {@code t},
 * the guild the event belongs to, and the few fields the shard itself needs (Hello's interval, READY's
 * session, op 9's flag). Mutable and reused per connection so the hot path allocates nothing but the strings
 * it keeps (and no String at all for a known dispatch type).
 *
 * <p>It does not tokenise what it does not need. Only the top-level members and the members of {@code d} are
 * looked at; every other value is skipped by its brackets and strings, and strings are skipped eight bytes at
 * a time (a SWAR search for a quote or a backslash). It gives the same answers as a full JSON parser on every
 * valid frame (the fuzz test compares it with jackson-core on mutated real frames); on malformed input it
 * throws {@link IOException} naming what was wrong, never anything else, and it always ends: every step moves
 * forward. It checks only what it reads: a malformed value inside a skipped member is not noticed here (the
 * state writer parses the payloads it stores, and the bot gets the bytes Discord sent).
 */
public final class FrameHeader {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long QUOTES = 0x2222222222222222L;
    private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;

    /** Opcode, or -1 when the frame had none. */
    public int op;
    /** Sequence number, or -1 when null or absent. */
    public long seq;
    /** Dispatch type, or null. */
    public String type;
    /** Guild the event belongs to, or 0 for events without a guild. */
    public long guildId;
    /** {@code d.heartbeat_interval} (Hello), or 0. */
    public long heartbeatInterval;
    /** {@code d} when it is a boolean (op 9: resumable), else {@code d.unavailable} (GUILD_DELETE: an outage). */
    public boolean flag;
    /** {@code d.session_id}, or null. */
    public String sessionId;
    /** {@code d.resume_gateway_url}, or null. */
    public String resumeGatewayUrl;

    private long dId;
    private long dGuildId;

    // The frame being read, and what the last string or number scan found.
    private byte[] b;
    private int end;
    private boolean escaped;
    private long number;
    private boolean integral;

    /**
     * Reads a whole frame.
     *
     * @throws IOException naming what was malformed; the frame is then not usable
     */
    public void read(byte[] buf, int off, int len) throws IOException {
        op = -1;
        seq = -1;
        type = null;
        guildId = 0;
        heartbeatInterval = 0;
        flag = false;
        sessionId = null;
        resumeGatewayUrl = null;
        dId = 0;
        dGuildId = 0;
        if (off < 0 || len < 0 || len > buf.length - off) {
            throw new IndexOutOfBoundsException("frame bounds " + off + "+" + len + " outside a buffer of " + buf.length);
        }
        b = buf;
        end = off + len;
        try {
            int i = ws(off);
            if (i + 2 < end && b[i] == (byte) 0xEF && b[i + 1] == (byte) 0xBB && b[i + 2] == (byte) 0xBF) {
                i = ws(i + 3); // a UTF-8 byte order mark, as a JSON reader accepts
            }
            if (i >= end || b[i] != '{') {
                throw new IOException("gateway frame is not a JSON object");
            }
            readFrame(i + 1);
        } finally {
            b = null;
        }
        if (op < 0) {
            throw new IOException("gateway frame has no op");
        }
        guildId = dGuildId != 0 ? dGuildId : (isGuildObject(type) ? dId : 0);
    }

    /** Events whose {@code d} is the guild itself, so {@code d.id} is the guild id. */
    private static boolean isGuildObject(String type) {
        return "GUILD_CREATE".equals(type) || "GUILD_UPDATE".equals(type) || "GUILD_DELETE".equals(type);
    }

    /** The top-level members, from just after the opening brace. */
    private void readFrame(int i) throws IOException {
        i = ws(i);
        if (i < end && b[i] == '}') {
            return;
        }
        while (true) {
            int ks = expectName(i);
            int ke = stringEnd(ks);
            boolean keyEscaped = escaped;
            i = value(ke + 1);
            byte c = b[i];
            if (keyEscaped) {
                i = topMember(decode(ks, ke), i);
            } else if (ke - ks == 1 && b[ks] == 's') {
                i = c == '-' || isDigit(c) ? integer(i, "s") : skip(i);
                seq = c == '-' || isDigit(c) ? (integral ? number : -1) : -1;
            } else if (ke - ks == 1 && b[ks] == 't') {
                i = typeValue(i);
            } else if (ke - ks == 1 && b[ks] == 'd') {
                i = data(i);
            } else if (ke - ks == 2 && b[ks] == 'o' && b[ks + 1] == 'p') {
                i = opValue(i);
            } else {
                i = skip(i);
            }
            i = ws(i);
            if (i >= end) {
                throw new IOException("gateway frame ends early");
            }
            if (b[i] == '}') {
                return;
            }
            if (b[i] != ',') {
                throw malformed("expected ',' or '}' after a member", i);
            }
            i = ws(i + 1);
        }
    }

    /** A top-level member whose name had escapes (rare: no Discord frame has them). */
    private int topMember(String name, int i) throws IOException {
        byte c = b[i];
        return switch (name) {
            case "op" -> opValue(i);
            case "s" -> {
                int next = c == '-' || isDigit(c) ? integer(i, "s") : skip(i);
                seq = c == '-' || isDigit(c) ? (integral ? number : -1) : -1;
                yield next;
            }
            case "t" -> typeValue(i);
            case "d" -> data(i);
            default -> skip(i);
        };
    }

    private int opValue(int i) throws IOException {
        byte c = b[i];
        if (c != '-' && !isDigit(c)) {
            op = -1;
            return skip(i);
        }
        int next = integer(i, "op");
        if (!integral) {
            op = -1;
        } else if (number < Integer.MIN_VALUE || number > Integer.MAX_VALUE) {
            throw malformed("op is out of range", i);
        } else {
            op = (int) number;
        }
        return next;
    }

    private int typeValue(int i) throws IOException {
        if (b[i] != '"') {
            type = null;
            return skip(i);
        }
        int e = stringEnd(i + 1);
        type = escaped ? DispatchTypes.canonical(decode(i + 1, e)) : DispatchTypes.canonical(b, i + 1, e);
        return e + 1;
    }

    /** The value of {@code d}: a boolean (op 9), an object whose members are read, or anything else, skipped. */
    private int data(int i) throws IOException {
        byte c = b[i];
        if (c == 't' || c == 'f') {
            int next = skip(i);
            flag = c == 't';
            return next;
        }
        if (c != '{') {
            return skip(i);
        }
        i = ws(i + 1);
        if (i < end && b[i] == '}') {
            return i + 1;
        }
        while (true) {
            int ks = expectName(i);
            int ke = stringEnd(ks);
            String name = escaped ? decode(ks, ke) : null;
            i = value(ke + 1);
            i = name != null ? dataMember(name, i) : dataMember(ks, ke - ks, i);
            i = ws(i);
            if (i >= end) {
                throw new IOException("gateway frame ends early");
            }
            if (b[i] == '}') {
                return i + 1;
            }
            if (b[i] != ',') {
                throw malformed("expected ',' or '}' after a member of d", i);
            }
            i = ws(i + 1);
        }
    }

    /** A member of {@code d} whose name is {@code b[ks, ks+n)} without escapes; returns where its value ends. */
    private int dataMember(int ks, int n, int i) throws IOException {
        switch (n) {
            case 2:
                if (b[ks] == 'i' && b[ks + 1] == 'd') {
                    return dataMember("id", i);
                }
                break;
            case 8:
                if (named(ks, GUILD_ID)) {
                    return dataMember("guild_id", i);
                }
                break;
            case 10:
                if (named(ks, SESSION_ID)) {
                    return dataMember("session_id", i);
                }
                break;
            case 11:
                if (named(ks, UNAVAILABLE)) {
                    return dataMember("unavailable", i);
                }
                break;
            case 18:
                if (named(ks, HEARTBEAT_INTERVAL)) {
                    return dataMember("heartbeat_interval", i);
                }
                if (named(ks, RESUME_GATEWAY_URL)) {
                    return dataMember("resume_gateway_url", i);
                }
                break;
            default:
                break;
        }
        return skip(i);
    }

    private static final byte[] GUILD_ID = ascii("guild_id");
    private static final byte[] SESSION_ID = ascii("session_id");
    private static final byte[] UNAVAILABLE = ascii("unavailable");
    private static final byte[] HEARTBEAT_INTERVAL = ascii("heartbeat_interval");
    private static final byte[] RESUME_GATEWAY_URL = ascii("resume_gateway_url");

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private boolean named(int ks, byte[] name) {
        return java.util.Arrays.equals(b, ks, ks + name.length, name, 0, name.length);
    }

    private int dataMember(String name, int i) throws IOException {
        byte c = b[i];
        switch (name) {
            case "guild_id" -> {
                int next = snowflake(i);
                dGuildId = number;
                return next;
            }
            case "id" -> {
                int next = snowflake(i);
                dId = number;
                return next;
            }
            case "heartbeat_interval" -> {
                if (c == '-' || isDigit(c)) {
                    int next = integer(i, "d.heartbeat_interval");
                    heartbeatInterval = integral ? number : 0;
                    return next;
                }
                heartbeatInterval = 0;
                return skip(i);
            }
            case "session_id" -> {
                if (c != '"') {
                    sessionId = null;
                    return skip(i);
                }
                int e = stringEnd(i + 1);
                sessionId = escaped ? decode(i + 1, e) : new String(b, i + 1, e - i - 1, StandardCharsets.UTF_8);
                return e + 1;
            }
            case "resume_gateway_url" -> {
                if (c != '"') {
                    resumeGatewayUrl = null;
                    return skip(i);
                }
                int e = stringEnd(i + 1);
                resumeGatewayUrl = escaped ? decode(i + 1, e) : new String(b, i + 1, e - i - 1, StandardCharsets.UTF_8);
                return e + 1;
            }
            case "unavailable" -> {
                int next = skip(i);
                flag = c == 't';
                return next;
            }
            default -> {
                return skip(i);
            }
        }
    }

    /**
     * A snowflake, into {@link #number}: a string of 1 to 20 digits (Discord's form) or an integer; 0 for
     * anything else (the value is skipped).
     */
    private int snowflake(int i) throws IOException {
        byte c = b[i];
        if (c == '-' || isDigit(c)) {
            int next = integer(i, "snowflake");
            if (!integral) {
                number = 0;
            }
            return next;
        }
        if (c != '"') {
            int next = skip(i);
            number = 0;
            return next;
        }
        int e = stringEnd(i + 1);
        if (escaped) {
            String s = decode(i + 1, e);
            number = digits(s);
        } else {
            int n = e - i - 1;
            long v = 0;
            if (n == 0 || n > 20) {
                v = 0;
            } else {
                for (int k = i + 1; k < e; k++) {
                    int d = b[k] - '0';
                    if (d < 0 || d > 9) {
                        v = 0;
                        break;
                    }
                    v = v * 10 + d;
                }
            }
            number = v;
        }
        return e + 1;
    }

    /** The value of a decoded string of 1 to 20 digits, else 0 (as {@link #snowflake} on raw bytes). */
    private static long digits(String s) {
        int n = s.length();
        if (n == 0 || n > 20) {
            return 0;
        }
        long v = 0;
        for (int k = 0; k < n; k++) {
            int d = s.charAt(k) - '0';
            if (d < 0 || d > 9) {
                return 0;
            }
            v = v * 10 + d;
        }
        return v;
    }

    /**
     * A JSON number starting at {@code i}: sets {@link #integral} (no fraction, no exponent) and, when integral,
     * {@link #number}. An integer beyond a long is an error, as a strict reader's.
     */
    private int integer(int i, String what) throws IOException {
        int start = i;
        boolean negative = false;
        if (b[i] == '-') {
            negative = true;
            i++;
        }
        if (i >= end || !isDigit(b[i])) {
            throw malformed("a number (" + what + ") without digits", start);
        }
        if (b[i] == '0' && i + 1 < end && isDigit(b[i + 1])) {
            throw malformed("a number (" + what + ") with a leading zero", start);
        }
        long v = 0;
        boolean overflow = false;
        while (i < end && isDigit(b[i])) {
            int d = b[i] - '0';
            // accumulate negatively so Long.MIN_VALUE fits
            if (v < (Long.MIN_VALUE + d) / 10) {
                overflow = true;
            }
            v = v * 10 - d;
            i++;
        }
        integral = true;
        if (i < end && b[i] == '.') {
            integral = false;
            i++;
            if (i >= end || !isDigit(b[i])) {
                throw malformed("a number (" + what + ") with an empty fraction", start);
            }
            while (i < end && isDigit(b[i])) {
                i++;
            }
        }
        if (i < end && (b[i] == 'e' || b[i] == 'E')) {
            integral = false;
            i++;
            if (i < end && (b[i] == '+' || b[i] == '-')) {
                i++;
            }
            if (i >= end || !isDigit(b[i])) {
                throw malformed("a number (" + what + ") with an empty exponent", start);
            }
            while (i < end && isDigit(b[i])) {
                i++;
            }
        }
        if (integral) {
            if (overflow || (!negative && v == Long.MIN_VALUE)) {
                throw malformed("a number (" + what + ") beyond 64 bits", start);
            }
            number = negative ? v : -v;
        }
        return i;
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** After a member name's closing quote: the colon, then the first byte of the value (which exists). */
    private int value(int i) throws IOException {
        i = ws(i);
        if (i >= end || b[i] != ':') {
            throw malformed("expected ':' after a member name", i);
        }
        i = ws(i + 1);
        if (i >= end) {
            throw new IOException("gateway frame ends early");
        }
        return i;
    }

    /** At a member name: the index just after its opening quote. */
    private int expectName(int i) throws IOException {
        if (i >= end) {
            throw new IOException("gateway frame ends early");
        }
        if (b[i] != '"') {
            throw malformed("expected a member name", i);
        }
        return i + 1;
    }

    private int ws(int i) {
        while (i < end) {
            byte c = b[i];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return i;
            }
            i++;
        }
        return i;
    }

    /**
     * The index of the quote that closes a string whose contents start at {@code i}; sets {@link #escaped}.
     * Eight bytes at a time: a word without a quote or backslash byte is passed whole.
     */
    private int stringEnd(int i) throws IOException {
        escaped = false;
        while (true) {
            while (i + 8 <= end) {
                long w = (long) LONGS.get(b, i);
                long q = w ^ QUOTES;
                long s = w ^ BACKSLASHES;
                long hit = ((q - ONES) & ~q | (s - ONES) & ~s) & HIGHS;
                if (hit != 0) {
                    // the lowest flagged byte is always a real quote or backslash
                    i += Long.numberOfTrailingZeros(hit) >>> 3;
                    break;
                }
                i += 8;
            }
            while (i < end && b[i] != '"' && b[i] != '\\') {
                i++;
            }
            if (i >= end) {
                throw new IOException("gateway frame ends inside a string");
            }
            if (b[i] == '"') {
                return i;
            }
            escaped = true;
            i += 2;
        }
    }

    /** Skips one value starting at {@code i}; returns the index after it. */
    private int skip(int i) throws IOException {
        byte c = b[i];
        switch (c) {
            case '"':
                return stringEnd(i + 1) + 1;
            case '{':
            case '[':
                return skipContainer(i + 1);
            case 't':
                return literal(i, TRUE);
            case 'f':
                return literal(i, FALSE);
            case 'n':
                return literal(i, NULL);
            default:
                if (c == '-' || isDigit(c)) {
                    int start = i;
                    i++;
                    while (i < end && (isDigit(b[i]) || b[i] == '.' || b[i] == 'e' || b[i] == 'E' || b[i] == '+' || b[i] == '-')) {
                        i++;
                    }
                    if (b[i - 1] == '-' && i - start == 1) {
                        throw malformed("a number without digits", start);
                    }
                    return i;
                }
                throw malformed("unexpected character", i);
        }
    }

    private static final byte[] TRUE = ascii("true");
    private static final byte[] FALSE = ascii("false");
    private static final byte[] NULL = ascii("null");

    private int literal(int i, byte[] word) throws IOException {
        if (i + word.length > end || !named(i, word)) {
            throw malformed("unrecognised literal (expected " + new String(word, StandardCharsets.US_ASCII) + ")", i);
        }
        return i + word.length;
    }

    /** Skips an object or array whose opening bracket is just before {@code i}, by its brackets and strings. */
    private int skipContainer(int i) throws IOException {
        int depth = 1;
        while (i < end) {
            byte c = b[i];
            if (c == '"') {
                i = stringEnd(i + 1);
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    return i + 1;
                }
            }
            i++;
        }
        throw new IOException("gateway frame ends inside a nested value");
    }

    /** The string {@code b[from, to)} with its escapes decoded. */
    private String decode(int from, int to) throws IOException {
        StringBuilder out = new StringBuilder(to - from);
        int i = from;
        int run = from;
        while (i < to) {
            if (b[i] != '\\') {
                i++;
                continue;
            }
            out.append(new String(b, run, i - run, StandardCharsets.UTF_8));
            if (i + 1 >= to) {
                throw malformed("a string ends in a backslash", i);
            }
            byte e = b[i + 1];
            switch (e) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '/' -> out.append('/');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (i + 6 > to) {
                        throw malformed("a \\u escape with fewer than four hex digits", i);
                    }
                    int cp = 0;
                    for (int k = i + 2; k < i + 6; k++) {
                        int h = Character.digit(b[k], 16);
                        if (h < 0) {
                            throw malformed("a \\u escape with a non-hex digit", i);
                        }
                        cp = cp * 16 + h;
                    }
                    out.append((char) cp);
                    i += 4;
                }
                default -> throw malformed("an unknown escape \\" + (char) (e & 0xFF), i);
            }
            i += 2;
            run = i;
        }
        out.append(new String(b, run, to - run, StandardCharsets.UTF_8));
        return out.toString();
    }

    private IOException malformed(String what, int at) {
        return new IOException("malformed gateway frame: " + what + " at byte " + at);
    }
}
