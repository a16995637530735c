package dev.gatehouse.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The http bot client ({@link BotClient} over {@link BotConnection}) against a bot that answers with scripted
 * bytes on a real socket: each HTTP/1.1 answer shape (Content-Length, chunked, delimited by the close, 1xx first,
 * {@code Connection: close}) gives the same verdicts, headers and kept body as before; a kept-alive connection is
 * reused and one the bot closed while idle is replaced without a failed POST; a bot that neither reads nor answers
 * ends as a hold at the timeout; malformed answers hold with a message naming what was wrong, never the secret.
 */
class BotConnectionTest {
    private static final String SECRET = "s3cret-not-in-messages";

    /**
     * A bot that reads each request whole and answers with the next scripted bytes; "CLOSE" after an answer closes,
     * "DROP" closes without answering, "HANG" never answers.
     */
    static final class ScriptedBot implements AutoCloseable {
        final ServerSocket server;
        final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        final BlockingQueue<String> requests = new LinkedBlockingQueue<>();
        final AtomicInteger connections = new AtomicInteger();
        private final List<Socket> open = new ArrayList<>();

        ScriptedBot(String... script) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            answers.addAll(List.of(script));
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    while (true) {
                        Socket s = server.accept();
                        connections.incrementAndGet();
                        synchronized (open) {
                            open.add(s);
                        }
                        Thread.ofPlatform().daemon(true).start(() -> serve(s));
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/events?x=1");
        }

        private void serve(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                while (true) {
                    String request = readRequest(in);
                    if (request == null) {
                        return;
                    }
                    requests.add(request);
                    String answer = answers.poll(5, TimeUnit.SECONDS);
                    if (answer == null || answer.equals("HANG")) {
                        Thread.sleep(60_000);
                        return;
                    }
                    if (answer.equals("DROP")) { // read the request, close without a word
                        return;
                    }
                    boolean close = answer.endsWith("CLOSE");
                    out.write(answer.replace("CLOSE", "").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    if (close) {
                        return;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the client went away
            }
        }

        /** The request's head alone, as text; null at the end of the connection. */
        static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                byte[] h = head.toByteArray();
                int n = h.length;
                if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                    return head.toString(StandardCharsets.ISO_8859_1);
                }
            }
            return null;
        }

        /** The request's head and body as text; null at the end of the connection. */
        static String readRequest(InputStream in) throws IOException {
            String text = readHead(in);
            if (text == null) {
                return null;
            }
            int length = 0;
            for (String line : text.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).strip());
                }
            }
            return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }

        /** Closes every connection the bot holds open (as a bot closing idle keep-alive connections). */
        void closeConnections() throws IOException {
            synchronized (open) {
                for (Socket s : open) {
                    s.close();
                }
            }
        }

        @Override
        public void close() throws IOException {
            closeConnections();
            server.close();
        }
    }

    private static List<Pending> event(String json) {
        return List.of(new Pending(1, 0, "session", 7, "MESSAGE_CREATE", json.getBytes(StandardCharsets.UTF_8), 0, -1, ""));
    }

    private static BotClient client(ScriptedBot bot, long timeoutMs) {
        return new BotClient(bot.url(), SECRET, timeoutMs, false, 1000);
    }

    /** A client of a bot the test plays itself on {@code server}'s socket. */
    private static BotClient client(ServerSocket server, long timeoutMs, int maxBatch) {
        return new BotClient(URI.create("http://127.0.0.1:" + server.getLocalPort() + "/"), SECRET, timeoutMs, false, maxBatch);
    }

    @Test
    void theRequestCarriesTheSecretTheBodyAndItsLengthAndAKeptAliveConnectionIsReused() throws Exception {
        try (ScriptedBot bot = new ScriptedBot("HTTP/1.1 204 No Content\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nGatehouse-Batch: 50\r\n\r\nhello")) {
            BotClient c = client(bot, 5_000);
            assertEquals(Answer.Verdict.DELIVERED, c.post(event("{\"a\":1}")).verdict());
            Answer second = c.post(event("{\"b\":\"\u00e9\"}"));
            assertEquals(Answer.Verdict.DELIVERED, second.verdict(), second.toString());
            assertEquals("", second.detail(), "a 2xx body is read and dropped");
            assertEquals(50, c.batchLimit(1), "the Gatehouse-Batch header is read");
            assertEquals(1, bot.connections.get(), "both POSTs on one kept-alive connection");
            String first = bot.requests.take();
            assertTrue(first.startsWith("POST /events?x=1 HTTP/1.1\r\n"), first);
            assertTrue(first.contains("\r\nAuthorization: " + SECRET + "\r\n"), first);
            assertTrue(first.contains("\r\nContent-Type: application/json\r\n"), first);
            assertTrue(first.contains("\r\nHost: 127.0.0.1:" + bot.server.getLocalPort() + "\r\n"), first);
            assertTrue(first.endsWith("\r\nContent-Length: 7\r\n\r\n{\"a\":1}"), first);
            assertTrue(bot.requests.take().endsWith("Content-Length: 10\r\n\r\n{\"b\":\"\u00e9\"}"), "the length in bytes");
        }
    }

    @Test
    void aChunkedRefusalKeepsTheFirstMaxBodyCharactersAndTheConnectionStaysUsable() throws Exception {
        String big = "x".repeat(3000) + "y".repeat(3000);
        String chunked = "HTTP/1.1 422 Unprocessable\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "bb8;ext=1\r\n" + big.substring(0, 3000) + "\r\n" + "bb8\r\n" + big.substring(3000) + "\r\n0\r\nTrailer: t\r\n\r\n";
        try (ScriptedBot bot = new ScriptedBot(chunked, "HTTP/1.1 204 No Content\r\n\r\n")) {
            BotClient c = client(bot, 5_000);
            Answer a = c.post(event("{}"));
            assertEquals(Answer.Verdict.REFUSED, a.verdict(), a.toString());
            assertEquals(422, a.status());
            assertEquals(big.substring(0, BotClient.MAX_BODY), a.detail());
            assertEquals(Answer.Verdict.DELIVERED, c.post(event("{}")).verdict());
            assertEquals(1, bot.connections.get(), "the chunked body was read to its end: the connection went on");
        }
    }

    @Test
    void connectionCloseAndAnAnswerDelimitedByTheCloseEndTheConnectionAndTheNextPostOpensAnother() throws Exception {
        try (ScriptedBot bot = new ScriptedBot("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\nCLOSE",
                "HTTP/1.0 400 Bad Request\r\n\r\nbad event: no idCLOSE", "HTTP/1.1 204 No Content\r\n\r\n")) {
            BotClient c = client(bot, 5_000);
            assertEquals(Answer.Verdict.DELIVERED, c.post(event("{}")).verdict());
            Answer refused = c.post(event("{}"));
            assertEquals(Answer.Verdict.REFUSED, refused.verdict(), refused.toString());
            assertEquals("bad event: no id", refused.detail());
            assertEquals(Answer.Verdict.DELIVERED, c.post(event("{}")).verdict());
            assertEquals(3, bot.connections.get());
        }
    }

    /**
     * A bot with a body limit reads the head and 64 KB, answers 413 and closes without reading the rest (as Go's
     * net/http or the JDK's HttpServer do past their limits): its answer is its word (a refusal that sets the events
     * aside), not a broken pipe that would hold the lane and send the same batch forever.
     */
    @Test
    void anAnswerSentBeforeTheBotReadTheWholeBodyIsItsAnswer() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon(true).start(() -> {
                while (true) {
                    try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        byte[] seen = in.readNBytes(64 * 1024);
                        if (seen.length == 0) {
                            continue;
                        }
                        out.write(("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 14\r\nConnection: close\r\n\r\n"
                                + "body too large").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            BotClient c = client(server, 10_000, 1000);
            String big = "{\"x\":\"" + "a".repeat(20 << 20) + "\"}";
            for (int i = 0; i < 2; i++) { // and again on a new connection
                Answer a = c.post(event(big));
                assertEquals(Answer.Verdict.REFUSED, a.verdict(), a.toString());
                assertEquals(413, a.status());
                assertEquals("body too large", a.detail());
            }
        }
    }

    /**
     * A bot that answers 204 as soon as the head arrives: when it then reads the whole body (as a handler that answers
     * first and consumes the stream after), the POST is delivered with every byte; when it stops reading and closes
     * instead, the events did not arrive, so it is a hold, never a delivery.
     */
    @Test
    void anEarly2xxCountsOnlyOnceTheWholeBodyIsSent() throws Exception {
        for (boolean readsTheRest : new boolean[] {true, false}) {
            try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                long[] got = new long[1];
                Thread bot = Thread.ofPlatform().daemon(true).start(() -> {
                    try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        String head = ScriptedBot.readHead(in);
                        long length = Long.parseLong(head.replaceAll("(?s).*Content-Length: ([0-9]+).*", "$1"));
                        out.write("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        got[0] = in.readNBytes((int) (readsTheRest ? length : 64 * 1024)).length;
                    } catch (IOException e) {
                        // the client went away
                    }
                });
                BotClient c = client(server, 10_000, 1000);
                String big = "{\"x\":\"" + "a".repeat(8 << 20) + "\"}";
                Answer a = c.post(event(big));
                bot.join(10_000);
                if (readsTheRest) {
                    assertEquals(Answer.Verdict.DELIVERED, a.verdict(), a.toString());
                    assertEquals(big.length(), got[0], "the bot had the whole body");
                } else {
                    // a broken pipe, or the 204 read first and then the broken pipe: a hold either way
                    assertEquals(Answer.Verdict.HOLD, a.verdict(), a.toString());
                }
            }
        }
    }

    /** Closing the client (Gatehouse stopping) closes its kept-alive connections: the bot sees the end of each. */
    @Test
    void closingTheClientClosesItsKeptAliveConnections() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            BotClient c = client(server, 5_000, 1000);
            Thread poster = Thread.ofPlatform().start(() -> {
                try {
                    c.post(event("{}"));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                assertTrue(ScriptedBot.readRequest(in) != null);
                out.write("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                poster.join(5_000);
                s.setSoTimeout(5_000);
                c.close();
                assertEquals(-1, in.read(), "the kept-alive connection was closed");
            }
        }
    }

    /**
     * The bot closes a kept-alive connection just as a request goes out on it (its idle timeout racing the check
     * before use): no byte of an answer came, so the request goes once more at once on a new connection and is
     * delivered, not held. On a new connection the same silence is a hold: the bot itself failed.
     */
    @Test
    void aKeptAliveConnectionClosedAsTheRequestWentOutIsRetriedOnceOnANewOne() throws Exception {
        try (ScriptedBot bot = new ScriptedBot("HTTP/1.1 204 No Content\r\n\r\n", "DROP", "HTTP/1.1 204 No Content\r\n\r\n",
                "DROP")) {
            BotClient c = client(bot, 5_000);
            assertEquals(Answer.Verdict.DELIVERED, c.post(event("{}")).verdict());
            Answer a = c.post(event("{\"n\":2}"));
            assertEquals(Answer.Verdict.DELIVERED, a.verdict(), a.toString());
            assertEquals(2, bot.connections.get());
            assertEquals(3, bot.requests.size(), "the dropped request went again");
            bot.closeConnections();
            Thread.sleep(200);
            Answer dropped = c.post(event("{}")); // a new connection (the old one is gone), and the bot drops it
            assertEquals(Answer.Verdict.HOLD, dropped.verdict(), dropped.toString());
        }
    }

    @Test
    void twoDifferentContentLengthsHoldNamingThem() throws Exception {
        try (ScriptedBot bot = new ScriptedBot("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhello")) {
            Answer a = client(bot, 5_000).post(event("{}"));
            assertEquals(Answer.Verdict.HOLD, a.verdict(), a.toString());
            assertTrue(a.detail().contains("two different Content-Length headers (2, 5)"), a.detail());
        }
    }

    @Test
    void aConnectionTheBotClosedWhileIdleIsReplacedWithoutAFailedPost() throws Exception {
        try (ScriptedBot bot = new ScriptedBot("HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n")) {
            BotClient c = client(bot, 5_000);
            assertEquals(Answer.Verdict.DELIVERED, c.post(event("{}")).verdict());
            bot.closeConnections();
            Thread.sleep(200); // the close reaches the client's side
            Answer a = c.post(event("{}"));
            assertEquals(Answer.Verdict.DELIVERED, a.verdict(), a.toString());
            assertEquals(2, bot.connections.get());
        }
    }

    @Test
    void aContinueBeforeTheAnswerAndARetryAfterOnAHold() throws Exception {
        try (ScriptedBot bot = new ScriptedBot("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 503 Busy\r\nRetry-After: 2.5\r\nContent-Length: 4\r\n\r\nbusy")) {
            BotClient c = client(bot, 5_000);
            assertEquals(Answer.Verdict.DELIVERED, c.post(event("{}")).verdict());
            Answer held = c.post(event("{}"));
            assertEquals(Answer.Verdict.HOLD, held.verdict());
            assertEquals(503, held.status());
            assertEquals(2500, held.retryAfterMs());
            assertEquals("busy", held.detail());
        }
    }

    @Test
    void aBotThatNeitherReadsNorAnswersHoldsAtTheTimeoutEvenWithABodyLargerThanTheSocketBuffers() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    while (true) {
                        accepted.add(server.accept()); // never reads
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            BotClient c = client(server, 500, 1);
            long t0 = System.nanoTime();
            Answer a = c.post(event("{\"x\":\"" + "y".repeat(32 << 20) + "\"}"));
            assertEquals(Answer.Verdict.HOLD, a.verdict(), a.toString());
            assertEquals("no answer within 500 ms", a.detail());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "the write did not wait for ever");
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void malformedAnswersHoldWithAMessageNamingWhatWasWrongAndNeverTheSecret() throws Exception {
        try (ScriptedBot bot = new ScriptedBot("HELLO THERE\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshortCLOSE")) {
            BotClient c = client(bot, 5_000);
            List<Answer> answers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                answers.add(c.post(event("{}")));
            }
            for (Answer a : answers) {
                assertEquals(Answer.Verdict.HOLD, a.verdict(), a.toString());
                assertFalse(a.detail().contains(SECRET), a.toString());
            }
            assertTrue(answers.get(0).detail().contains("does not start with an HTTP/1.x status line: 'HELLO THERE'"), answers.get(0).detail());
            assertTrue(answers.get(1).detail().contains("bad Content-Length '12x'"), answers.get(1).detail());
            assertTrue(answers.get(2).detail().contains("bad chunk size 'zz'"), answers.get(2).detail());
            assertTrue(answers.get(3).detail().contains("closed the connection before its answer was complete"), answers.get(3).detail());
        }
    }

    @Test
    void anUnreachableBotHoldsNamingTheErrorAndASecretWithALineBreakIsRefusedAtStart() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        BotClient c = new BotClient(URI.create("http://127.0.0.1:" + port + "/"), SECRET, 2_000, false, 1);
        Answer a = c.post(event("{}"));
        assertEquals(Answer.Verdict.HOLD, a.verdict());
        assertTrue(a.detail().startsWith("ConnectException"), a.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BotClient(URI.create("http://127.0.0.1:1/"), "line\r\nX-Injected: 1", 1_000, false, 1));
        assertFalse(e.getMessage().contains("Injected"), e.getMessage());
        assertTrue(e.getMessage().contains("eventHandler.secret"), e.getMessage());
    }
}
