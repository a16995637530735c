package dev.gatehouse.discord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.gatehouse.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The byte scan of {@link FrameHeader} against jackson-core ({@link JacksonFrameHeader}) on 10^5 mutations of the
 * real captured frames: it never throws anything but an {@link IOException}, always ends, and on every mutation
 * that is still valid JSON it gives exactly jackson's answers (or fails exactly when jackson's reading fails).
 */
class FrameHeaderFuzzTest {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int MUTATIONS = 100_000;
    private static final byte[] STRUCTURE = "{}[]\":,\\ 0123456789-.eEtfnu\"".getBytes(StandardCharsets.US_ASCII);

    private final FrameHeader scan = new FrameHeader();
    private final JacksonFrameHeader reference = new JacksonFrameHeader();

    @Test
    void mutatedRealFramesGiveJacksonsAnswersOrACleanError() throws IOException {
        List<byte[]> seeds = seeds();
        SplittableRandom random = new SplittableRandom(20261201);
        int valid = 0;
        int rejected = 0;
        for (int n = 0; n < MUTATIONS; n++) {
            byte[] frame = seeds.get(random.nextInt(seeds.size()));
            int steps = 1 + random.nextInt(3);
            for (int k = 0; k < steps; k++) {
                frame = mutate(frame, random);
            }
            String scanned;
            try {
                scan.read(frame, 0, frame.length);
                scanned = answers(scan);
            } catch (IOException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "an error names what was wrong");
                scanned = "error";
                rejected++;
            } catch (RuntimeException | StackOverflowError e) {
                fail("mutation " + n + " threw " + e + " on: " + new String(frame, StandardCharsets.UTF_8), e);
                return;
            }
            if (!validJson(frame)) {
                continue;
            }
            valid++;
            String expected;
            try {
                reference.read(frame, 0, frame.length);
                expected = answers(reference);
            } catch (IOException e) {
                expected = "error";
            }
            assertEquals(expected, scanned, "mutation " + n + ": " + new String(frame, StandardCharsets.UTF_8));
        }
        // the mix must exercise both sides, or the comparison says little
        assertTrue(valid > MUTATIONS / 5, "only " + valid + " of the mutations were valid JSON");
        assertTrue(rejected > MUTATIONS / 5, "only " + rejected + " of the mutations were rejected");
    }

    @Test
    void everyRealFrameGivesJacksonsAnswers() throws IOException {
        for (byte[] f : seeds()) {
            reference.read(f, 0, f.length);
            scan.read(f, 0, f.length);
            assertEquals(answers(reference), answers(scan), new String(f, StandardCharsets.UTF_8));
        }
    }

    @Test
    void escapesAndNumbersReadAsAJsonParserReadsThem() throws IOException {
        String[] frames = {
            "{\"\\u006fp\":0,\"t\":\"MESSAGE_\\u0043REATE\",\"s\":-0,\"d\":{\"guild_\\u0069d\":\"1\\u0032\"}}",
            "{\"op\":10,\"d\":{\"heartbeat_interval\":4.1e4}}",
            "{\"op\":10,\"d\":{\"heartbeat_interval\":41250,\"x\":[{\"a\":\"]}\\\"\"}]}}",
            "{\"op\":0,\"s\":9223372036854775807,\"t\":\"READY\",\"d\":{\"session_id\":\"a\\nb\\u00e9\",\"resume_gateway_url\":\"wss://x\\/y\"}}",
            "{\"op\":0,\"t\":\"GUILD_CREATE\",\"d\":{\"id\":41771983423143937,\"guild_id\":{\"id\":\"5\"}}}",
            "\uFEFF{\"op\":1,\"d\":null}",
            " \t\r\n{ \"op\" : 11 , \"d\" : [ ] } trailing",
        };
        for (String s : frames) {
            byte[] f = s.getBytes(StandardCharsets.UTF_8);
            reference.read(f, 0, f.length);
            scan.read(f, 0, f.length);
            assertEquals(answers(reference), answers(scan), s);
        }
        byte[] f = frames[0].getBytes(StandardCharsets.UTF_8);
        scan.read(f, 0, f.length);
        assertTrue(scan.type == "MESSAGE_CREATE", "an escaped known type is still the canonical instance");
        assertEquals(12, scan.guildId);
    }

    private static String answers(FrameHeader h) {
        return h.op + "|" + h.seq + "|" + h.type + "|" + h.guildId + "|" + h.heartbeatInterval + "|" + h.flag + "|"
                + h.sessionId + "|" + h.resumeGatewayUrl;
    }

    private static String answers(JacksonFrameHeader h) {
        return h.op + "|" + h.seq + "|" + h.type + "|" + h.guildId + "|" + h.heartbeatInterval + "|" + h.flag + "|"
                + h.sessionId + "|" + h.resumeGatewayUrl;
    }

    /** Whether the whole buffer is one JSON value, as jackson-core reads it. */
    private static boolean validJson(byte[] f) {
        try (JsonParser p = JSON.createParser(f)) {
            if (p.nextToken() == null) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Every captured gateway frame, and a few the captures lack (op 9, outages, leaves). */
    static List<byte[]> seeds() throws IOException {
        List<byte[]> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(Fixtures.dir())) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith("gateway_") && name.endsWith(".json")) {
                    out.addAll(Fixtures.frames(name));
                }
            }
        }
        for (String s : new String[] {"{\"op\":9,\"d\":true,\"s\":null,\"t\":null}",
                "{\"t\":\"GUILD_DELETE\",\"s\":5,\"op\":0,\"d\":{\"id\":\"41771983423143937\",\"unavailable\":true}}",
                "{\"t\":\"GUILD_DELETE\",\"s\":6,\"op\":0,\"d\":{\"id\":\"41771983423143937\"}}",
                "{\"op\":11,\"d\":null}", "{\"op\":7,\"d\":null,\"s\":null,\"t\":null}"}) {
            out.add(s.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** One random edit: most break the JSON, some keep it valid (digits, letters, whitespace, escapes). */
    private static byte[] mutate(byte[] f, SplittableRandom r) {
        if (f.length == 0) {
            return new byte[] {STRUCTURE[r.nextInt(STRUCTURE.length)]};
        }
        int at = r.nextInt(f.length);
        switch (r.nextInt(10)) {
            case 0: { // any byte
                byte[] o = f.clone();
                o[at] = (byte) r.nextInt(256);
                return o;
            }
            case 1: { // a structural byte
                byte[] o = f.clone();
                o[at] = STRUCTURE[r.nextInt(STRUCTURE.length)];
                return o;
            }
            case 2: { // cut a range out
                int n = 1 + r.nextInt(Math.min(16, f.length - at));
                byte[] o = new byte[f.length - n];
                System.arraycopy(f, 0, o, 0, at);
                System.arraycopy(f, at + n, o, at, f.length - at - n);
                return o;
            }
            case 3: { // repeat a range
                int n = 1 + r.nextInt(Math.min(24, f.length - at));
                byte[] o = new byte[f.length + n];
                System.arraycopy(f, 0, o, 0, at + n);
                System.arraycopy(f, at, o, at + n, f.length - at);
                return o;
            }
            case 4: // truncate
                return java.util.Arrays.copyOf(f, at);
            case 5: { // a digit for a digit (ids, seqs, op)
                byte[] o = f.clone();
                for (int k = 0; k < o.length; k++) {
                    int i = (at + k) % o.length;
                    if (o[i] >= '0' && o[i] <= '9') {
                        o[i] = (byte) ('0' + r.nextInt(10));
                        break;
                    }
                }
                return o;
            }
            case 6: // whitespace after a colon or comma
                return insertAfter(f, at, new byte[] {':', ','}, " \n\t".getBytes(StandardCharsets.US_ASCII));
            case 7: { // an ASCII letter inside a string written as a \\u escape
                for (int k = 0; k < f.length; k++) {
                    int i = (at + k) % f.length;
                    byte c = f[i];
                    if ((c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') && i > 0 && f[i - 1] != '\\') {
                        byte[] esc = String.format("\\u%04x", (int) c).getBytes(StandardCharsets.US_ASCII);
                        byte[] o = new byte[f.length + esc.length - 1];
                        System.arraycopy(f, 0, o, 0, i);
                        System.arraycopy(esc, 0, o, i, esc.length);
                        System.arraycopy(f, i + 1, o, i + esc.length, f.length - i - 1);
                        return o;
                    }
                }
                return f;
            }
            case 8: { // a value replaced by another kind of value
                String[] values = {"null", "true", "false", "0", "-1", "1.5", "1e3", "\"x\"", "{}", "[]", "[{\"id\":\"7\"}]",
                    "\"123\"", "99999999999999999999", "{\"guild_id\":\"3\"}"};
                return insertAfter(f, at, new byte[] {':'}, values[r.nextInt(values.length)].getBytes(StandardCharsets.US_ASCII), true);
            }
            default: { // a letter for a letter
                byte[] o = f.clone();
                for (int k = 0; k < o.length; k++) {
                    int i = (at + k) % o.length;
                    if (o[i] >= 'a' && o[i] <= 'z') {
                        o[i] = (byte) ('a' + r.nextInt(26));
                        break;
                    }
                }
                return o;
            }
        }
    }

    private static byte[] insertAfter(byte[] f, int at, byte[] after, byte[] what) {
        return insertAfter(f, at, after, new byte[] {what[(at * 31) % what.length]}, false);
    }

    /**
     * Inserts {@code what} after the first byte of {@code after} found from {@code at} on; with {@code replace}, the
     * scalar value that followed (up to the next ',', '}' or ']') is replaced.
     */
    private static byte[] insertAfter(byte[] f, int at, byte[] after, byte[] what, boolean replace) {
        for (int k = 0; k < f.length; k++) {
            int i = (at + k) % f.length;
            for (byte a : after) {
                if (f[i] == a) {
                    int j = i + 1;
                    if (replace) {
                        boolean inString = false;
                        while (j < f.length && (inString || (f[j] != ',' && f[j] != '}' && f[j] != ']'))) {
                            if (f[j] == '"' && f[j - 1] != '\\') {
                                inString = !inString;
                            }
                            if (!inString && (f[j] == '{' || f[j] == '[')) {
                                return f; // a container: left alone
                            }
                            j++;
                        }
                    }
                    byte[] o = new byte[i + 1 + what.length + f.length - j];
                    System.arraycopy(f, 0, o, 0, i + 1);
                    System.arraycopy(what, 0, o, i + 1, what.length);
                    System.arraycopy(f, j, o, i + 1 + what.length, f.length - j);
                    return o;
                }
            }
        }
        return f;
    }
}
