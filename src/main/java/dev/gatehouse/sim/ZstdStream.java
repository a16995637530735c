package dev.gatehouse.sim;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import java.nio.ByteBuffer;

/**
 * Discord's zstd-stream transport compression for one connection: a single zstd stream for the whole connection,
 * flushed after every message so that each WebSocket message decompresses to exactly one gateway message with
 * the stream's decompression context. Event loop of the connection only.
 */
final class ZstdStream implements AutoCloseable {
    private final ZstdCompressCtx ctx = new ZstdCompressCtx().setLevel(1);
    private ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
    private ByteBuffer out = ByteBuffer.allocateDirect(64 * 1024);

    /** The compressed bytes of one message, ending with a flush of the stream. */
    byte[] compress(byte[] json) {
        if (in.capacity() < json.length) {
            in = ByteBuffer.allocateDirect(Integer.highestOneBit(json.length) << 1);
        }
        in.clear();
        in.put(json).flip();
        out.clear();
        while (!ctx.compressDirectByteBufferStream(out, in, EndDirective.FLUSH)) {
            ByteBuffer bigger = ByteBuffer.allocateDirect(out.capacity() * 2);
            out.flip();
            bigger.put(out);
            out = bigger;
        }
        out.flip();
        byte[] b = new byte[out.remaining()];
        out.get(b);
        return b;
    }

    @Override
    public void close() {
        ctx.close();
    }
}
