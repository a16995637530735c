package dev.gatehouse.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.Fixtures;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/** zlib-stream: one context per connection, sync-flushed messages, possibly split over WebSocket messages. */
class ZlibStreamTest {

    private static byte[] deflate(Deflater d, byte[] msg) {
        d.setInput(msg);
        byte[] out = new byte[msg.length + 1024];
        int n = d.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
        return Arrays.copyOf(out, n);
    }

    @Test
    void messagesOfOneStreamInflateInOrderEvenWhenSplit() throws DataFormatException {
        Deflater d = new Deflater();
        ZlibStream z = new ZlibStream();
        List<byte[]> frames = Fixtures.frames("gateway_guild_create.json");
        frames = List.of(frames.get(0), Fixtures.frames("gateway_message_create.json").get(0), frames.get(0));
        for (byte[] msg : frames) {
            byte[] c = deflate(d, msg);
            int cut = c.length / 3;
            assertFalse(z.feed(ByteBuffer.wrap(c, 0, cut)), "not complete before the flush suffix");
            assertFalse(z.feed(ByteBuffer.wrap(c, cut, cut)));
            assertTrue(z.feed(ByteBuffer.wrap(c, 2 * cut, c.length - 2 * cut)));
            assertEquals(new String(msg, StandardCharsets.UTF_8), new String(z.buffer(), 0, z.length(), StandardCharsets.UTF_8));
        }
        z.close();
    }

    @Test
    void theBufferOfALargeMessageIsGivenBackOnceMessagesAreSmallAgain() throws DataFormatException {
        Deflater d = new Deflater();
        ZlibStream z = new ZlibStream();
        byte[] small = Fixtures.frames("gateway_message_create.json").get(0);
        byte[] large = new byte[3 << 20]; // a 3 MiB GUILD_CREATE-sized message
        Arrays.fill(large, (byte) 'x');
        int initial = z.buffer().length;
        for (byte[] msg : List.of(large, large, small, small, small)) {
            assertTrue(z.feed(ByteBuffer.wrap(deflate(d, msg))));
            assertArrayEquals(msg, Arrays.copyOf(z.buffer(), z.length()));
            if (msg == large) {
                assertTrue(z.buffer().length >= large.length, "a burst of large messages reuses one large buffer");
            }
        }
        assertEquals(initial, z.buffer().length, "after small messages the buffer is back to its initial size");
        z.close();
    }

    @Test
    void garbageIsAnErrorNotASilentLoss() {
        ZlibStream z = new ZlibStream();
        byte[] junk = "this is not zlib at all\0\0\u00ff\u00ff".getBytes(StandardCharsets.ISO_8859_1);
        assertThrows(DataFormatException.class, () -> z.feed(ByteBuffer.wrap(junk)));
    }
}
