package dev.gatehouse.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Puts a connection's messages on the wire as WebSocket frames, whole or with transport faults: fragmented into
 * continuation frames, written slowly in pieces (later messages wait behind), or cut mid-frame with the TCP
 * connection dropped. Faults come from configuration ({@link FrameFaults}) or are armed for the next message.
 * Event loop of the channel only.
 */
final class FrameWriter {
    private final Channel channel;
    private final FrameFaults config;
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private boolean writingSlowly;
    private long messages;
    private int splitNext;
    private int slowNextPieces;
    private int slowNextDelayMs;
    private boolean cutNext;
    private volatile long heldBytes;

    private record Held(byte[] payload, boolean binary) {
    }

    FrameWriter(Channel channel, FrameFaults config) {
        this.channel = channel;
        this.config = config;
    }

    /** The next message goes out as this many WebSocket frames (one first frame, then continuation frames). */
    void splitNext(int frames) {
        splitNext = frames;
    }

    /** The next message's frame is written in pieces with a pause between two pieces. */
    void slowNext(int pieces, int delayMs) {
        slowNextPieces = pieces;
        slowNextDelayMs = delayMs;
    }

    /** The next message's frame is cut mid-way, then the TCP connection is dropped without a close frame. */
    void cutNext() {
        cutNext = true;
    }

    /** Writes one message (already compressed when the connection uses zlib-stream). */
    void write(byte[] payload, boolean binary) {
        if (writingSlowly) {
            held.add(new Held(payload, binary));
            heldBytes += payload.length;
            return;
        }
        messages++;
        if (cutNext || (config.partialEvery() > 0 && messages % config.partialEvery() == 0)) {
            cutNext = false;
            byte[] frame = encode(payload, binary);
            channel.writeAndFlush(Unpooled.wrappedBuffer(frame, 0, Math.max(1, frame.length / 2)))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        int pieces = slowNextPieces > 1 ? slowNextPieces : config.slowPieces();
        if (pieces > 1) {
            int delay = slowNextPieces > 1 ? slowNextDelayMs : config.slowDelayMs();
            slowNextPieces = 0;
            writingSlowly = true;
            writePiece(encode(payload, binary), pieces, 0, delay);
            return;
        }
        int frames = splitNext > 1 ? splitNext
                : config.fragmentBytes() > 0 ? (payload.length + config.fragmentBytes() - 1) / config.fragmentBytes() : 1;
        splitNext = 0;
        if (frames <= 1 || payload.length < 2) {
            channel.writeAndFlush(binary ? new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload))
                    : new TextWebSocketFrame(Unpooled.wrappedBuffer(payload)));
            return;
        }
        frames = Math.min(frames, payload.length);
        int size = (payload.length + frames - 1) / frames;
        for (int from = 0; from < payload.length; from += size) {
            int to = Math.min(payload.length, from + size);
            ByteBuf part = Unpooled.wrappedBuffer(payload, from, to - from);
            boolean last = to == payload.length;
            WebSocketFrame f = from == 0 ? (binary ? new BinaryWebSocketFrame(false, 0, part) : new TextWebSocketFrame(false, 0, part))
                    : new ContinuationWebSocketFrame(last, 0, part);
            channel.write(f);
        }
        channel.flush();
    }

    /** Writes piece {@code index} of a raw frame, then schedules the next; after the last, the held messages go. */
    private void writePiece(byte[] frame, int pieces, int index, int delayMs) {
        if (!channel.isActive()) {
            held.clear();
            heldBytes = 0;
            return;
        }
        int size = (frame.length + pieces - 1) / pieces;
        int from = index * size;
        int to = Math.min(frame.length, from + size);
        channel.writeAndFlush(Unpooled.wrappedBuffer(frame, from, to - from));
        if (to < frame.length) {
            channel.eventLoop().schedule(() -> writePiece(frame, pieces, index + 1, delayMs), delayMs, TimeUnit.MILLISECONDS);
            return;
        }
        writingSlowly = false;
        while (!writingSlowly && !held.isEmpty()) {
            Held h = held.poll();
            heldBytes -= h.payload().length;
            write(h.payload(), h.binary());
        }
    }

    /** Bytes of the messages waiting behind a slow frame; read from any thread. */
    long heldBytes() {
        return heldBytes;
    }

    /** One unmasked server-to-client WebSocket frame with FIN set (RFC 6455 section 5.2), as raw bytes. */
    static byte[] encode(byte[] payload, boolean binary) {
        int n = payload.length;
        int header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
        byte[] f = Arrays.copyOf(new byte[] {(byte) (0x80 | (binary ? 0x2 : 0x1))}, header + n);
        if (n < 126) {
            f[1] = (byte) n;
        } else if (n <= 0xFFFF) {
            f[1] = 126;
            f[2] = (byte) (n >>> 8);
            f[3] = (byte) n;
        } else {
            f[1] = 127;
            for (int i = 0; i < 8; i++) {
                f[2 + i] = (byte) ((long) n >>> (56 - 8 * i));
            }
        }
        System.arraycopy(payload, 0, f, header, n);
        return f;
    }
}
