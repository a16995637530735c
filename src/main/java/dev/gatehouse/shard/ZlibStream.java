package dev.gatehouse.shard;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Discord's zlib-stream transport compression: one zlib context for the whole connection, each message
 * ending with a sync flush ({@code 00 00 ff ff}), possibly split over several WebSocket messages. One
 * instance per connection; the output buffer ({@link #INITIAL} at first) is reused and grows to the largest
 * message in flight. It is given back when a message has been much smaller than it (a quarter) since: a shard's
 * largest GUILD_CREATE (megabytes) is not held for the life of the connection, yet a burst of large ones reuses
 * one buffer.
 */
final class ZlibStream {
    /**
     * The buffer's size at first and after a large message: above the size of the firehose's frames (mean
     * 1.2 KB; the ring's slots copy up to 4 KiB without allocating), so that they inflate without allocating, and
     * small enough that an idle shard holds little (it was 64 KiB a shard).
     */
    static final int INITIAL = 8 * 1024;
    private final Inflater inflater = new Inflater();
    private byte[] out = new byte[INITIAL];
    private int length;
    private boolean complete;

    /**
     * Inflates one received WebSocket message.
     *
     * @return true when a whole gateway message is now in {@link #buffer()}{@code [0, length())}
     * @throws DataFormatException when the bytes are not a valid continuation of the stream
     */
    boolean feed(ByteBuffer compressed) throws DataFormatException {
        if (complete) {
            if (out.length > INITIAL && length < out.length / 4) { // the last message was small: let the big buffer go
                out = new byte[Math.max(INITIAL, Integer.highestOneBit(Math.max(1, length)) * 2)];
            }
            length = 0;
            complete = false;
        }
        int n = compressed.remaining();
        boolean flushed = n >= 4
                && compressed.get(compressed.limit() - 4) == 0 && compressed.get(compressed.limit() - 3) == 0
                && compressed.get(compressed.limit() - 2) == (byte) 0xff && compressed.get(compressed.limit() - 1) == (byte) 0xff;
        inflater.setInput(compressed);
        while (true) {
            if (length == out.length) {
                out = java.util.Arrays.copyOf(out, out.length * 2);
            }
            int got = inflater.inflate(out, length, out.length - length);
            length += got;
            if (got == 0 && (inflater.needsInput() || inflater.finished())) {
                break;
            }
            if (inflater.needsDictionary()) {
                throw new DataFormatException("zlib stream asks for a preset dictionary");
            }
        }
        complete = flushed;
        return complete;
    }

    byte[] buffer() {
        return out;
    }

    int length() {
        return length;
    }

    void close() {
        inflater.end();
    }
}
