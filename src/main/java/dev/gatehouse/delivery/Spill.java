package dev.gatehouse.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * One lane's durable queue on local disk: append-only segment files of length-prefixed, checksummed records,
 * read in order by the lane and acknowledged up to a position that is saved in a small {@code ack} file.
 *
 * <p>Why files and not a PostgreSQL outbox: the spill is needed exactly when something downstream is down,
 * and with {@code delivery.afterState=false} that includes PostgreSQL; sequential appends with one fsync per
 * ring batch need no round trip, no WAL and no vacuum of a table that is filled and emptied in bulk. Measured
 * ({@code ./run.sh bench spill}): 6.8x the write rate of COPY into an outbox table.
 *
 * <p>Positions are logical byte offsets that only grow; a segment is named by the offset of its first byte.
 * A record: {@code int length, int crc32c(rest), int shardId, long seq, short sessionLength, session,
 * short typeLength, type, short destinationLength, destination, body}. A torn record at the end (a crash mid-write) is cut off at open.
 * Not thread-safe: the {@link DeliveryBuffer} lock guards every call.
 */
final class Spill implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Spill.class.getName());
    static final long SEGMENT_BYTES = 64L * 1024 * 1024;
    private static final int HEADER = 8;
    /** The write buffer's and the read-ahead's size, each allocated while the spill holds records only. */
    private static final int BUFFER_BYTES = 1 << 20;
    private static final ByteBuffer NONE = ByteBuffer.allocate(0);

    private final Path dir;
    private final long segmentBytes;
    /** Segment start offset -> file. */
    private final TreeMap<Long, Path> segments = new TreeMap<>();
    private FileChannel writer;
    private long writerStart;
    private ByteBuffer out = NONE;
    /** {@link #out} holds records a failed write left, flipped for reading. */
    private boolean outFlipped;
    /** End of all appended records (buffered ones included). */
    private long writePos;
    /** End of the records on disk and synced. */
    private long durablePos;
    /** End of the bytes handed to the segment files. */
    private long diskPos;
    /** Next record the lane reads. */
    private long readPos;
    /** Everything before this was taken by the bot. */
    private long ackPos;
    private long ackSaved = -1;
    private FileChannel reader;
    private long readerStart = -1;
    private ByteBuffer readAhead = NONE;
    /** Logical position of readAhead's first byte; its limit is the end of what it holds. */
    private long aheadStart = -1;

    /** Opens (or creates) the spill in {@code dir}, cutting off a torn last record. */
    Spill(Path dir) {
        this(dir, SEGMENT_BYTES);
    }

    /** A spill whose segments roll at {@code segmentBytes} (tests use small ones). */
    Spill(Path dir, long segmentBytes) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        try {
            Files.createDirectories(dir);
            try (var files = Files.list(dir)) {
                files.filter(f -> f.getFileName().toString().endsWith(".seg")).forEach(f -> {
                    String n = f.getFileName().toString();
                    segments.put(Long.parseLong(n.substring(0, n.length() - 4)), f);
                });
            }
            Path ack = dir.resolve("ack");
            ackPos = Files.exists(ack) ? ByteBuffer.wrap(Files.readAllBytes(ack)).getLong() : 0;
            if (segments.isEmpty()) {
                writePos = ackPos;
            } else {
                long start = segments.lastKey();
                long end = start + validLength(segments.lastEntry().getValue());
                writePos = end;
                ackPos = Math.max(ackPos, segments.firstKey());
            }
            durablePos = writePos;
            diskPos = writePos;
            readPos = ackPos;
            ackSaved = ackPos;
        } catch (IOException e) {
            throw new UncheckedIOException("delivery spill at " + dir + " cannot be opened: " + e.getMessage(), e);
        }
    }

    /** Length of the valid records at the start of a segment; a torn or corrupt tail is truncated. */
    private static long validLength(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long pos = 0;
            ByteBuffer head = ByteBuffer.allocate(HEADER);
            while (pos + HEADER <= size) {
                head.clear();
                ch.read(head, pos);
                head.flip();
                int len = head.getInt();
                int crc = head.getInt();
                if (len < 16 || pos + HEADER + len > size) {
                    break;
                }
                ByteBuffer rest = ByteBuffer.allocate(len);
                ch.read(rest, pos + HEADER);
                CRC32C c = new CRC32C();
                c.update(rest.array(), 0, len);
                if ((int) c.getValue() != crc) {
                    break;
                }
                pos += HEADER + len;
            }
            if (pos < size) {
                LOG.log(System.Logger.Level.WARNING, "delivery spill: " + f + " ends in a torn record (a crash mid-write);"
                        + " cutting " + (size - pos) + " bytes (those events are beyond the saved checkpoint and come again)");
                ch.truncate(pos);
            }
            return pos;
        }
    }

    /** Bytes appended and not yet acknowledged: what the spill holds. */
    long bytes() {
        return writePos - ackPos;
    }

    /** True when every appended record was acknowledged. */
    boolean isEmpty() {
        return writePos == ackPos;
    }

    /** True when appended records wait to be read by the lane (synced or not). */
    boolean hasUnread() {
        return readPos < writePos;
    }

    /** Appends one event (buffered until {@link #sync}). */
    void append(Pending p) {
        byte[] session = p.sessionId() == null ? new byte[0] : p.sessionId().getBytes(StandardCharsets.UTF_8);
        byte[] type = p.type().getBytes(StandardCharsets.US_ASCII);
        byte[] dest = p.destination().getBytes(StandardCharsets.UTF_8);
        int len = 4 + 8 + 2 + session.length + 2 + type.length + 2 + dest.length + p.body().length;
        if (out == NONE) {
            out = ByteBuffer.allocate(BUFFER_BYTES);
        }
        if (outFlipped || out.remaining() < HEADER + len) {
            writeOut();
        }
        ByteBuffer rec = out.remaining() >= HEADER + len ? out : ByteBuffer.allocate(HEADER + len);
        int start = rec.position();
        rec.putInt(len).putInt(0).putInt(p.shardId()).putLong(p.seq())
                .putShort((short) session.length).put(session).putShort((short) type.length).put(type)
                .putShort((short) dest.length).put(dest).put(p.body());
        CRC32C c = new CRC32C();
        c.update(rec.array(), start + HEADER, len);
        rec.putInt(start + 4, (int) c.getValue());
        if (rec != out) {
            rec.flip();
            write(rec);
        }
        writePos += HEADER + len;
    }

    /** Writes buffered records to the segment and forces them to disk: after this they survive a crash. */
    void sync() {
        if (durablePos == writePos) {
            return;
        }
        writeOut();
        try {
            writer.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("delivery spill: cannot sync " + dir + ": " + e.getMessage(), e);
        }
        durablePos = writePos;
    }

    /**
     * Writes the buffered records. A failed write (disk full) keeps what was not written, flipped, so the next
     * call carries on where it stopped: nothing buffered is lost or written twice.
     */
    private void writeOut() {
        if (!outFlipped) {
            if (out.position() == 0) {
                return;
            }
            out.flip();
            outFlipped = true;
        }
        write(out);
        out.clear();
        outFlipped = false;
    }

    private void write(ByteBuffer b) {
        int from = b.position();
        long start = diskPos;
        try {
            if (writer == null || diskPos - writerStart >= segmentBytes) {
                if (writer != null) {
                    try {
                        writer.force(false);
                        writer.close();
                    } finally {
                        writer = null; // a failed close leaves no closed channel behind to write to
                    }
                }
                var last = segments.lastEntry();
                if (writer == null && last != null && diskPos - last.getKey() < segmentBytes) {
                    writer = FileChannel.open(last.getValue(), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                    writerStart = last.getKey();
                    writer.truncate(diskPos - writerStart); // what a failed write may have left past the last record
                } else {
                    Path f = dir.resolve(String.format("%020d.seg", diskPos));
                    writer = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                    writerStart = diskPos;
                    segments.put(writerStart, f);
                }
            }
            while (b.hasRemaining()) {
                diskPos += writer.write(b);
            }
        } catch (IOException e) {
            // a partial write (ENOSPC half-way through a record) would shift every later position: cut the segment
            // back to the last whole write and write all of it again next time
            undo(start);
            b.position(from);
            throw new UncheckedIOException("delivery spill: cannot write " + dir + ": " + e.getMessage(), e);
        }
    }

    private void undo(long start) {
        if (diskPos == start) {
            return;
        }
        try {
            writer.truncate(start - writerStart);
            diskPos = start;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "delivery spill: cannot cut " + dir + " back after a failed write: " + e.getMessage());
            try {
                writer.close();
            } catch (IOException ignored) {
                // it is dropped either way
            }
            writer = null;
            diskPos = start; // the segment is cut back to it when it is opened again
        }
    }

    /**
     * Reads up to {@code max} synced records after the read position into {@code into}, each carrying the
     * position that acknowledges it; advances the read position. Buffered records are synced first.
     */
    void read(int max, List<Pending> into) {
        if (durablePos < writePos) {
            sync();
        }
        try {
            while (into.size() < max && readPos < durablePos) {
                var seg = segments.floorEntry(readPos);
                if (seg == null) {
                    throw new IOException("no segment holds position " + readPos);
                }
                if (readerStart != seg.getKey()) {
                    if (reader != null) {
                        reader.close();
                    }
                    reader = FileChannel.open(seg.getValue(), StandardOpenOption.READ);
                    readerStart = seg.getKey();
                }
                ByteBuffer rec = record(readPos - readerStart);
                int len = rec.remaining();
                int shard = rec.getInt();
                long seq = rec.getLong();
                byte[] session = new byte[rec.getShort()];
                rec.get(session);
                byte[] type = new byte[rec.getShort()];
                rec.get(type);
                byte[] dest = new byte[rec.getShort()];
                rec.get(dest);
                byte[] body = new byte[rec.remaining()];
                rec.get(body);
                readPos += HEADER + len;
                into.add(new Pending(0, shard, session.length == 0 ? null : new String(session, StandardCharsets.UTF_8), seq,
                        new String(type, StandardCharsets.US_ASCII), body, 0, readPos, new String(dest, StandardCharsets.UTF_8)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("delivery spill: cannot read " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The record at {@code off} of the reader's segment, positioned after its header, from a read-ahead buffer
     * refilled with one read per {@link #readAhead} bytes (one positional read per record cost half the drain).
     */
    private ByteBuffer record(long off) throws IOException {
        long pos = readerStart + off;
        if (pos < aheadStart || pos + HEADER > aheadStart + readAhead.limit()) {
            fill(off);
        }
        int at = (int) (pos - aheadStart);
        int len = readAhead.getInt(at);
        int crc = readAhead.getInt(at + 4);
        ByteBuffer rec;
        if (pos + HEADER + len > aheadStart + readAhead.limit()) {
            if (HEADER + len > readAhead.capacity()) {
                ByteBuffer big = ByteBuffer.allocate(len);
                while (big.hasRemaining() && reader.read(big, off + HEADER + big.position()) > 0) {
                    // one read may return less than asked
                }
                rec = big.flip();
            } else {
                fill(off);
                rec = readAhead.duplicate().limit(HEADER + len).position(HEADER).slice();
            }
        } else {
            rec = readAhead.duplicate().limit(at + HEADER + len).position(at + HEADER).slice();
        }
        CRC32C c = new CRC32C();
        c.update(rec.duplicate());
        if ((int) c.getValue() != crc || rec.remaining() != len) {
            throw new IOException("corrupt record at position " + pos + " (checksum or length does not match)");
        }
        return rec;
    }

    private void fill(long off) throws IOException {
        if (readAhead == NONE) {
            readAhead = ByteBuffer.allocate(BUFFER_BYTES);
        }
        readAhead.clear();
        while (readAhead.hasRemaining() && reader.read(readAhead, off + readAhead.position()) > 0) {
            // a segment ends where its last record ends: a short read is its end
        }
        readAhead.flip();
        aheadStart = readerStart + off;
    }

    /** Every record appended and not acknowledged, oldest first, without moving the read position (at start). */
    void scan(Consumer<Pending> each) {
        long saved = readPos;
        List<Pending> batch = new ArrayList<>();
        while (readPos < writePos) {
            batch.clear();
            read(1024, batch);
            if (batch.isEmpty()) {
                break;
            }
            batch.forEach(each);
        }
        readPos = saved;
    }

    /** The bot took everything up to {@code pos}: fully taken segments are deleted; the position is saved lazily. */
    void acknowledge(long pos) {
        ackPos = Math.max(ackPos, pos);
        while (segments.size() > 1 && segments.higherKey(segments.firstKey()) <= ackPos) {
            Path f = segments.pollFirstEntry().getValue();
            try {
                if (reader != null && readerStart < segments.firstKey()) {
                    reader.close();
                    reader = null;
                    readerStart = -1;
                }
                Files.deleteIfExists(f);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "delivery spill: cannot delete " + f + ": " + e.getMessage());
            }
        }
        if (ackPos == writePos && !outFlipped) { // drained: a lane that does not spill holds no buffers
            out = NONE;
            readAhead = NONE;
            aheadStart = -1;
        }
    }

    /** Bytes of buffers the spill holds now (none while it is empty). */
    int bufferBytes() {
        return out.capacity() + readAhead.capacity();
    }

    /** Forgets what was read and not acknowledged: the lane reads it again (after a failed POST). */
    void rewind() {
        readPos = ackPos;
    }

    /** Saves the acknowledged position (a restart re-delivers at most what was taken since). */
    void saveAck() {
        if (ackSaved == ackPos) {
            return;
        }
        try {
            Path tmp = dir.resolve("ack.tmp");
            Files.write(tmp, ByteBuffer.allocate(8).putLong(ackPos).array());
            Files.move(tmp, dir.resolve("ack"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            ackSaved = ackPos;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "delivery spill: cannot save the acknowledged position: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        sync();
        saveAck();
        try {
            if (writer != null) {
                writer.close();
            }
            if (reader != null) {
                reader.close();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "delivery spill: closing " + dir + ": " + e.getMessage());
        }
    }
}
