package dev.gatehouse.sim;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

/**
 * A bare gateway client on Java-WebSocket (an implementation independent of ours) for protocol tests: it
 * sends what the test says and records what the simulator answers, nothing more.
 */
final class GatewayProbe extends WebSocketClient {
    final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();

    GatewayProbe(String url) {
        super(URI.create(url));
    }

    static GatewayProbe open(Simulator sim, String query) throws InterruptedException {
        GatewayProbe p = new GatewayProbe(sim.gatewayUrl() + "/?" + query);
        if (!p.connectBlocking(10, TimeUnit.SECONDS)) {
            // the server may close right after the handshake (4012): the close callback can come a moment later
            try {
                p.closed.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("could not connect to the simulator", e);
            }
        }
        return p;
    }

    /** The next message, or fails after 10 s. */
    String next() throws InterruptedException {
        String m = received.poll(10, TimeUnit.SECONDS);
        if (m == null) {
            throw new AssertionError("no message from the simulator within 10 s");
        }
        return m;
    }

    /** Waits for the close and returns its code. */
    int closeCode() throws Exception {
        return closed.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
    }

    @Override
    public void onMessage(String message) {
        received.add(message);
    }

    @Override
    public void onMessage(ByteBuffer bytes) {
        received.add(StandardCharsets.UTF_8.decode(bytes).toString());
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        closed.complete(code);
    }

    @Override
    public void onError(Exception ex) {
    }
}
