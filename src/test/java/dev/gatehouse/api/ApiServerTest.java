package dev.gatehouse.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The server's connection handling with short clocks: a pending answer outlives the idle limit, a trickled header
 * does not outlive the request deadline, connections beyond the cap get 503, a malformed request is answered and
 * closed, and a 413 waits for the answers before it.
 */
class ApiServerTest {
    /** {@code GET /slow?ms=N} answers after N ms; {@code /fast} at once. */
    private static ApiServer server(ApiServer.Limits limits) throws InterruptedException {
        Routes routes = new Routes()
                .add("GET", "/slow", r -> {
                    long ms = r.number("ms", 0, 0, 60_000);
                    return CompletableFuture.supplyAsync(() -> Answer.json(200, "{\"slow\":" + ms + "}"),
                            CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS));
                })
                .add("GET", "/fast", r -> CompletableFuture.completedFuture(Answer.json(200, "{\"fast\":true}")))
                .add("POST", "/fast", r -> CompletableFuture.completedFuture(Answer.json(200, "{\"fast\":true}")));
        ApiServer server = new ApiServer("127.0.0.1", 0, new ApiHandler(routes, "", new ApiStats()), limits);
        port = server.port();
        return server;
    }

    private static int port;

    private static String head(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost:" + port + "\r\n\r\n";
    }

    /** Everything the server sends until it closes the connection. */
    private static String untilClosed(Socket s) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        try {
            for (int b = in.read(); b != -1; b = in.read()) {
                got.write(b);
            }
        } catch (java.net.SocketException reset) {
            // closed too
        }
        return got.toString(StandardCharsets.US_ASCII);
    }

    private static Socket connect(ApiServer server) throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout(60_000);
        return s;
    }

    @Test
    void anAnswerPendingLongerThanTheIdleLimitStillArrives() throws Exception {
        try (ApiServer server = server(new ApiServer.Limits(1_000, 1_000, 16)); Socket s = connect(server)) {
            s.getOutputStream().write(head("/slow?ms=2500").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String got = untilClosed(s); // after the answer the idle limit closes the connection
            assertTrue(got.startsWith("HTTP/1.1 200"), "the pending answer arrived before any close: " + got);
            assertTrue(got.contains("\"slow\":2500"), got);
        }
    }

    @Test
    void aHeaderTrickledAByteAtATimeIsCutAtTheRequestDeadline() throws Exception {
        try (ApiServer server = server(new ApiServer.Limits(1_000, 60_000, 16)); Socket s = connect(server)) {
            OutputStream out = s.getOutputStream();
            Thread trickle = Thread.ofVirtual().start(() -> {
                byte[] header = ("GET /fast HTTP/1.1\r\nHost: localhost:" + port + "\r\nX-Slow: " + "a".repeat(60) + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                try {
                    for (byte b : header) {
                        out.write(b);
                        out.flush();
                        Thread.sleep(250);
                    }
                } catch (IOException | InterruptedException closed) {
                    // the server cut it: what the test wants
                }
            });
            String got = untilClosed(s);
            trickle.interrupt();
            assertEquals("", got, "the connection was closed before its header was whole, without an answer");
        }
    }

    @Test
    void connectionsBeyondTheCapGet503() throws Exception {
        try (ApiServer server = server(new ApiServer.Limits(30_000, 60_000, 3))) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket s = connect(server);
                    s.getOutputStream().write(head("/fast").getBytes(StandardCharsets.US_ASCII));
                    held.add(s);
                }
                for (Socket s : held) { // each served: all three are open now
                    byte[] b = new byte[12];
                    assertEquals(12, s.getInputStream().readNBytes(b, 0, 12));
                    assertEquals("HTTP/1.1 200", new String(b, StandardCharsets.US_ASCII));
                }
                try (Socket fourth = connect(server)) {
                    String got = untilClosed(fourth);
                    assertTrue(got.startsWith("HTTP/1.1 503"), got);
                    assertTrue(got.contains("api.maxConnections"), got);
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            String again = "";
            for (int attempt = 0; attempt < 100 && !again.startsWith("HTTP/1.1 200"); attempt++) { // the closes land
                try (Socket s = connect(server)) {
                    s.getOutputStream().write(("GET /fast HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    again = untilClosed(s);
                }
                Thread.sleep(50);
            }
            assertTrue(again.startsWith("HTTP/1.1 200"), "served again once connections closed: " + again);
        }
    }

    @Test
    void aMalformedRequestIsAnswered400AndClosed() throws Exception {
        try (ApiServer server = server(new ApiServer.Limits(30_000, 60_000, 16)); Socket s = connect(server)) {
            s.getOutputStream().write(("GET /fast HTTP/1.1\r\nHost: localhost:" + port + "\r\nX-Long: " + "a".repeat(9000) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String got = untilClosed(s);
            assertTrue(got.startsWith("HTTP/1.1 400"), got);
            assertTrue(got.toLowerCase().contains("connection: close"), got);
        }
    }

    @Test
    void a413WaitsForTheAnswersPipelinedBeforeIt() throws Exception {
        try (ApiServer server = server(new ApiServer.Limits(30_000, 60_000, 16)); Socket s = connect(server)) {
            String oversized = "POST /fast HTTP/1.1\r\nHost: localhost:" + port + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 200000\r\n\r\n";
            s.getOutputStream().write((head("/slow?ms=1500") + oversized).getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String got = untilClosed(s);
            int slow = got.indexOf("HTTP/1.1 200");
            int tooLarge = got.indexOf("HTTP/1.1 413");
            assertTrue(slow == 0 && tooLarge > slow, "the slow answer first, then the 413, then the close: " + got);
            assertTrue(got.contains("\"field\":\"body\""), got);
            assertFalse(got.substring(tooLarge).toLowerCase().contains("keep-alive"), got);
        }
    }
}
