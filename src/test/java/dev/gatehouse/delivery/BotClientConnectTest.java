package dev.gatehouse.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A bot whose host takes no more connections (its accept queue full: the kernel drops the SYNs, so a connect
 * hangs instead of failing) gets no event and holds the stream: the POST ends with the request's own timeout
 * ({@code delivery.timeoutMs}), which bounds the connect as well as the answer.
 */
class BotClientConnectTest {
    @Test
    void aConnectThatHangsEndsAsAHoldNamingTheTimeout() throws Exception {
        List<Socket> filling = new ArrayList<>();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0), 1); // never accepts: the queue fills with a few connects
            boolean full = false;
            for (int i = 0; i < 8 && !full; i++) {
                Socket s = new Socket();
                try {
                    s.connect(server.getLocalSocketAddress(), 300);
                    filling.add(s);
                } catch (java.net.SocketTimeoutException queueFull) {
                    s.close();
                    full = true; // the queue is full: the next connect hangs too
                }
            }
            assertTrue(full, "the accept queue filled after " + filling.size() + " connects");
            BotClient client = new BotClient(URI.create("http://127.0.0.1:" + server.getLocalPort() + "/events"), "secret",
                    1_000, false, 100);
            Answer a = client.post(List.of(new Pending(1, 0, "session", 7, "MESSAGE_CREATE",
                    "{}".getBytes(StandardCharsets.UTF_8), 0, -1, "")));
            assertEquals(Answer.Verdict.HOLD, a.verdict(), a.toString());
            assertTrue(a.detail().contains("no answer within 1000 ms"), a.toString());
        } finally {
            for (Socket s : filling) {
                s.close();
            }
        }
    }
}
