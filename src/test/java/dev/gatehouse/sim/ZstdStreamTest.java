package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdDecompressCtx;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code compress=zstd-stream}: one zstd stream per connection, each WebSocket message a flushed piece of it that
 * one decompression context (kept for the whole connection) turns into exactly one gateway message.
 */
class ZstdStreamTest {
    private static final String TOKEN = "zstd-token";
    private Simulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    /** Decompresses one message with the connection's context. */
    private static String decompress(ZstdDecompressCtx ctx, byte[] message) {
        ByteBuffer src = ByteBuffer.allocateDirect(message.length).put(message).flip();
        ByteBuffer dst = ByteBuffer.allocateDirect(1 << 20);
        while (src.hasRemaining()) {
            ctx.decompressDirectByteBufferStream(dst, src);
        }
        ctx.decompressDirectByteBufferStream(dst, src); // anything still buffered
        dst.flip();
        byte[] out = new byte[dst.remaining()];
        dst.get(out);
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void everyMessageDecompressesWholeWithOneContextForTheConnection() throws Exception {
        sim = new Simulator(SimOptions.defaults().withWorld(1, 8, 40).withTraffic(0).withToken(TOKEN)
                .withLimits(16, 0, 41250, 2500, true));
        try (RawGatewaySocket c = new RawGatewaySocket(sim, "v=10&encoding=json&compress=zstd-stream");
             ZstdDecompressCtx ctx = new ZstdDecompressCtx()) {
            RawGatewaySocket.Message hello = c.nextMessage();
            assertEquals("28b52ffd", java.util.HexFormat.of().formatHex(hello.bytes(), 0, 4),
                    "the connection's one zstd frame starts with the zstd magic number");
            assertTrue(decompress(ctx, hello.bytes()).contains("\"op\":10"));
            c.send("{\"op\":2,\"d\":{\"token\":\"" + TOKEN + "\",\"intents\":513,\"properties\":{\"os\":\"linux\","
                    + "\"browser\":\"raw\",\"device\":\"raw\"},\"shard\":[0,1]}}");
            for (int s = 1; s <= 9; s++) {
                String m = decompress(ctx, c.nextMessage().bytes());
                assertTrue(m.startsWith("{\"t\":\"" + (s == 1 ? "READY" : "GUILD_CREATE") + "\",\"s\":" + s + ","), m);
                assertTrue(m.endsWith("}"), "one whole message per WebSocket message");
            }
        }
    }
}
