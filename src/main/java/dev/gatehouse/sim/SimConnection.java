package dev.gatehouse.sim;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.util.Arrays;
import java.util.zip.Deflater;

/**
 * One client WebSocket connection of the simulator: its transport compression (one zlib context for the whole
 * connection, a sync flush after every message, as Discord's zlib-stream) and its identified session.
 * {@link #send} may be called from any thread; the compressor is only touched on the channel's event loop.
 */
final class SimConnection {
    final Channel channel;
    final boolean zlib;
    private final Deflater deflater;
    /** The zstd-stream compressor, or null when the client did not ask for zstd-stream. */
    private final ZstdStream zstd;
    private byte[] out = new byte[64 * 1024];
    GatewaySession session;
    /** The client's close frame arrived on this connection (event loop). */
    volatile boolean closeReceived;
    /** False after the zombie fault: heartbeats are no longer acknowledged. */
    volatile boolean ackHeartbeats = true;
    /** The intents of the identify this connection sent (read by the world thread when it starts the session). */
    volatile long intents;
    /** The large_threshold of that identify. */
    volatile int largeThreshold;
    /** When the client last sent a heartbeat (or connected). */
    volatile long lastHeartbeatNanos = System.nanoTime();
    /** Send times of the client's last 120 payloads, for Discord's 120-per-60-seconds limit. */
    private final long[] sends = new long[120];
    private int sendIndex;
    private boolean released;
    private final java.util.concurrent.atomic.AtomicLong queuedBytes = new java.util.concurrent.atomic.AtomicLong();

    /** Puts messages on the wire, whole or with transport faults; event loop only. */
    final FrameWriter frames;

    SimConnection(Channel channel, boolean zlib) {
        this(channel, zlib, FrameFaults.NONE);
    }

    SimConnection(Channel channel, boolean zlib, FrameFaults faults) {
        this(channel, zlib, false, faults);
    }

    /** A connection with zlib-stream, zstd-stream (when the client asked for it) or no transport compression. */
    SimConnection(Channel channel, boolean zlib, boolean zstd, FrameFaults faults) {
        this.channel = channel;
        this.zlib = zlib && !zstd;
        this.zstd = zstd ? new ZstdStream() : null;
        this.frames = new FrameWriter(channel, faults);
        // Any level inflates the same, so clients cannot tell; level 1 costs half of level 6 per message here,
        // and compression was the simulator's largest cost (docs/BENCHMARKS.md, ./run.sh simbench).
        this.deflater = this.zlib ? new Deflater(Deflater.BEST_SPEED) : null;
    }

    /**
     * Sends one gateway message (JSON bytes), compressed when the client asked for zlib-stream. Compression
     * and the write happen together on the channel's event loop, so frames leave in the order the shared
     * zlib context produced them, whichever thread sent them.
     */
    void send(byte[] json) {
        queuedBytes.addAndGet(json.length);
        channel.eventLoop().execute(() -> {
            queuedBytes.addAndGet(-json.length);
            write(json);
        });
    }

    /** Bytes handed to {@link #send} and not yet compressed and written (or held behind a slow frame). */
    long queuedBytes() {
        return queuedBytes.get() + frames.heldBytes();
    }

    /** Runs a change of the transport (arming a fault) on the event loop, in order with the sends. */
    void onLoop(java.util.function.Consumer<FrameWriter> change) {
        channel.eventLoop().execute(() -> change.accept(frames));
    }

    private void write(byte[] json) {
        if (released || !channel.isActive()) {
            return;
        }
        if (zstd != null) {
            frames.write(zstd.compress(json), true);
            return;
        }
        if (!zlib) {
            frames.write(json, false);
            return;
        }
        deflater.setInput(json);
        int n = 0;
        while (true) {
            n += deflater.deflate(out, n, out.length - n, Deflater.SYNC_FLUSH);
            if (n < out.length) {
                break;
            }
            out = Arrays.copyOf(out, out.length * 2);
        }
        frames.write(Arrays.copyOf(out, n), true);
    }

    /** Records one client payload; false when it is the 121st within 60 seconds. Netty thread only. */
    boolean withinSendLimit(long now) {
        long oldest = sends[sendIndex];
        if (oldest != 0 && now - oldest < 60_000_000_000L) {
            return false;
        }
        sends[sendIndex] = now;
        sendIndex = (sendIndex + 1) % sends.length;
        return true;
    }

    /** Closes with a gateway close code. */
    void close(int code, String reason) {
        if (channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    void release() {
        channel.eventLoop().execute(() -> {
            released = true;
            if (deflater != null) {
                deflater.end();
            }
            if (zstd != null) {
                zstd.close();
            }
        });
    }
}
