package dev.gatehouse.state;

import com.lmax.disruptor.EventHandler;
import dev.gatehouse.pipeline.DirectoryLock;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.GuildKind;
import dev.gatehouse.pipeline.Session;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The state writer's own backlog on local disk, in front of the {@link StateWriter} as the ring's state consumer
 * when {@code delivery.afterState=false}: while PostgreSQL is down the writer cannot take events, so this consumer
 * appends them to segment files and the ring keeps moving (the bot keeps getting events, the shards keep reading).
 * Once the database is back its own thread hands the journal to the writer in order, then the ring feeds the writer
 * directly again. Bounded by bytes ({@code state.maxJournalBytes}): when full, the consumer waits for the database
 * as it does without a journal (the ring fills, the shards pause reading).
 *
 * <p>Order: the writer takes every event in ring order, whether from the ring or from the journal (what it held
 * when the database went down stays pending in it, before the journal's first event), so per shard the state
 * applies events in sequence and a (shard, session, seq) is stored once.
 *
 * <p>Checkpoints: the state's progress (what a restart resumes after) is saved only with the rows it covers, so
 * an event that is only in the journal is never claimed as stored. The journal is therefore not kept across a
 * restart: it is emptied at start (the shards resume from the stored progress and Discord replays those events, or
 * a shard identifies anew and its GUILD_CREATEs reload the state). Nothing is forced to disk either: the files
 * hold what does not fit in memory, they are not a second source of truth.
 *
 * <p>A record: {@code int length, int shardId, long seq, long ringSequence, long guildId, long receivedNanos,
 * byte kind, int session (index into this process's sessions, -1 for none), short typeLength, type, frame}.
 */
public final class StateJournal implements EventHandler<Dispatch> {
    private static final System.Logger LOG = System.getLogger(StateJournal.class.getName());
    /** Segments roll at a sixteenth of the bound, between these sizes: the catch-up frees disk as it goes. */
    static final long MIN_SEGMENT_BYTES = 64L * 1024, MAX_SEGMENT_BYTES = 64L * 1024 * 1024;
    /**
     * Records and bytes handed to the writer per round of the catch-up, whichever comes first (the writer commits at
     * least once per round): a round of GUILD_CREATEs of megabytes each stays this size in memory.
     */
    private static final int CATCH_UP_BATCH = 2_000;
    private static final long CATCH_UP_BYTES = 16L * 1024 * 1024;
    /** A record's bytes after its length and before its type and frame. */
    private static final int FIXED = 4 + 8 + 8 + 8 + 8 + 1 + 4 + 2;
    private static final GuildKind[] KINDS = GuildKind.values();

    private final StateWriter writer;
    private final Path dir;
    /** This process's hold on {@code dir}: another process emptying it at its start would lose this one's events. */
    private final DirectoryLock dirLock;
    private final long maxBytes;
    private final long segmentBytes;
    private final Object lock = new Object();
    private final Thread catchUp;
    private volatile boolean closing;

    // guarded by lock
    private boolean journaling;
    private boolean fullReported;
    private final TreeMap<Long, Path> segments = new TreeMap<>();
    private FileChannel out;
    private long outStart;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
    /** End of the appended records (buffered ones included). */
    private long writePos;
    /** End of the bytes written to the segment files. */
    private long diskPos;
    /** Next record the catch-up hands to the writer. */
    private long readPos;
    /** Everything before this was handed to the writer; segments wholly before it are deleted. */
    private long ackPos;
    private FileChannel in;
    private long inStart = -1;
    private final List<Session> sessions = new ArrayList<>();
    private final Map<Session, Integer> sessionIndex = new HashMap<>();
    private long peakBytes;
    private long segmentsCreated;

    private final LongAdder journaled = new LongAdder();
    private final LongAdder caughtUp = new LongAdder();

    /**
     * @param writer   the state writer it stands in front of (it must not be given to the ring itself)
     * @param dir      where the segment files go; emptied now (see the class comment)
     * @param maxBytes the bound of the files; past it the consumer waits for the database
     */
    public StateJournal(StateWriter writer, Path dir, long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("state journal: maxBytes must be positive, got " + maxBytes);
        }
        this.writer = writer;
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = Math.max(MIN_SEGMENT_BYTES, Math.min(MAX_SEGMENT_BYTES, maxBytes / 16));
        this.dirLock = DirectoryLock.claim(dir, "state.journalDir");
        try {
            Files.createDirectories(dir);
            long left = 0;
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".seg")).toList()) {
                    left += Files.size(f);
                    Files.delete(f);
                }
            }
            if (left > 0) {
                LOG.log(System.Logger.Level.INFO, "state journal: " + left + " bytes left by the previous process deleted;"
                        + " their events were not stored and the shards resume from the stored progress before them");
            }
        } catch (IOException e) {
            dirLock.close();
            throw new UncheckedIOException("state journal at " + dir + " cannot be opened: " + e.getMessage(), e);
        }
        writer.journaled();
        catchUp = Thread.ofPlatform().name("gatehouse-state-journal").daemon(true).unstarted(this::catchUpLoop);
        catchUp.start();
    }

    /** Lets another process use the directory: at shutdown, or when the start failed after the journal was made. */
    public void releaseDirectory() {
        dirLock.close();
    }

    /** The writer's own early sequence updates would run behind this consumer's: the ring's batch end moves it. */
    @Override
    public void setSequenceCallback(com.lmax.disruptor.Sequence sequenceCallback) {
        // not handed to the writer: see above
    }

    @Override
    public void onEvent(Dispatch d, long sequence, boolean endOfBatch) {
        synchronized (lock) {
            if (journaling && append(d, sequence)) {
                if (endOfBatch) {
                    writeOut();
                }
                lock.notifyAll();
                return;
            }
        }
        // the database is up, or the catch-up emptied the journal while this event waited for room in it: the writer
        // has stored every journaled event, so this one goes to it directly, in ring order
        writer.onEvent(d, sequence, endOfBatch);
        if (writer.databaseDown()) {
            synchronized (lock) {
                if (!journaling) {
                    journaling = true;
                    LOG.log(System.Logger.Level.WARNING, "state journal: the database is down; the state's events go to "
                            + dir + " (up to " + maxBytes + " bytes) and are stored once it is back; the bot keeps getting events");
                }
                lock.notifyAll();
            }
        }
    }

    /**
     * Appends one event; while the files are full, waits for the catch-up (the ring fills meanwhile). False, and
     * nothing appended, when the catch-up emptied the journal and ended journaling during that wait: an event appended
     * then would stay in the journal, never read, and its change would be missing from the state (seen once in
     * PostgresOutageTest: "1 events were not stored at shutdown" and the state never equal to the world).
     */
    private boolean append(Dispatch d, long ringSequence) {
        byte[] type = d.type().getBytes(StandardCharsets.US_ASCII);
        int len = FIXED + type.length + d.length();
        while (journaling && writePos > ackPos && writePos - ackPos + 4 + len > maxBytes && !closing) {
            if (!fullReported) {
                fullReported = true;
                LOG.log(System.Logger.Level.WARNING, "state journal: full (" + (writePos - ackPos) + " bytes, state.maxJournalBytes="
                        + maxBytes + "); the state consumer waits for the database: the ring fills and the shards pause reading");
            }
            try {
                lock.wait(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!journaling) {
            return false;
        }
        if (buffer.remaining() < 4 + len) {
            writeOut();
        }
        ByteBuffer rec = buffer.remaining() >= 4 + len ? buffer : ByteBuffer.allocate(4 + len);
        rec.putInt(len).putInt(d.shardId()).putLong(d.seq()).putLong(ringSequence).putLong(d.guildId())
                .putLong(d.receivedNanos()).put((byte) d.kind().ordinal()).putInt(sessionIndex(d.session()))
                .putShort((short) type.length).put(type).put(d.payload(), 0, d.length());
        if (rec != buffer) {
            write(rec.flip());
        }
        writePos += 4 + len;
        peakBytes = Math.max(peakBytes, writePos - ackPos);
        journaled.increment();
        return true;
    }

    private int sessionIndex(Session s) {
        if (s == null) {
            return -1;
        }
        return sessionIndex.computeIfAbsent(s, k -> {
            sessions.add(k);
            return sessions.size() - 1;
        });
    }

    private void writeOut() {
        if (buffer.position() == 0) {
            return;
        }
        buffer.flip();
        try {
            write(buffer);
        } finally {
            buffer.clear();
        }
    }

    /** Writes whole records to the current segment, starting a new one past {@link #segmentBytes}. */
    private void write(ByteBuffer b) {
        try {
            if (out == null || diskPos - outStart >= segmentBytes) {
                if (out != null) {
                    out.close();
                }
                Path f = dir.resolve(String.format("%020d.seg", diskPos));
                out = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                outStart = diskPos;
                segments.put(outStart, f);
                segmentsCreated++;
            }
            while (b.hasRemaining()) {
                diskPos += out.write(b, diskPos - outStart);
            }
        } catch (IOException e) {
            // the events are not lost for the bot; for the state, the stored progress stays before them
            throw new UncheckedIOException("state journal: cannot write " + dir + " (" + e.getMessage()
                    + "); a restart resumes from the stored progress", e);
        }
    }

    /** Reads up to {@code max} records after the read position (buffered ones are written first). */
    private List<Journaled> read(int max) {
        writeOut();
        List<Journaled> batch = new ArrayList<>();
        long bytes = 0;
        try {
            while (batch.size() < max && bytes < CATCH_UP_BYTES && readPos < diskPos) {
                var seg = segments.floorEntry(readPos);
                if (inStart != seg.getKey()) {
                    if (in != null) {
                        in.close();
                    }
                    in = FileChannel.open(seg.getValue(), StandardOpenOption.READ);
                    inStart = seg.getKey();
                }
                ByteBuffer head = ByteBuffer.allocate(4);
                readFully(head, readPos - inStart);
                ByteBuffer rec = ByteBuffer.allocate(head.flip().getInt());
                readFully(rec, readPos - inStart + 4);
                rec.flip();
                int shard = rec.getInt();
                long seq = rec.getLong();
                long ringSequence = rec.getLong();
                long guild = rec.getLong();
                long received = rec.getLong();
                GuildKind kind = KINDS[rec.get()];
                int session = rec.getInt();
                byte[] type = new byte[rec.getShort()];
                rec.get(type);
                byte[] frame = new byte[rec.remaining()];
                rec.get(frame);
                readPos += 4 + rec.capacity();
                bytes += 4 + rec.capacity();
                batch.add(new Journaled(new Dispatch(shard, session < 0 ? null : sessions.get(session), seq,
                        new String(type, StandardCharsets.US_ASCII), guild, kind, frame, received), ringSequence));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("state journal: cannot read " + dir + ": " + e.getMessage(), e);
        }
        return batch;
    }

    /** A journaled event and the ring sequence it had (the writer keeps the last one it took). */
    private record Journaled(Dispatch dispatch, long ringSequence) {
    }

    private void readFully(ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            if (in.read(b, at + b.position()) < 0) {
                throw new IOException("segment ends inside a record at " + (inStart + at));
            }
        }
    }

    /** Everything before {@code pos} is in the writer's hands: segments wholly before it are deleted. */
    private void acknowledge(long pos) {
        ackPos = pos;
        while (!segments.isEmpty()) {
            Long next = segments.higherKey(segments.firstKey());
            boolean whole = next != null ? next <= ackPos : ackPos == writePos && ackPos == diskPos;
            if (!whole) {
                break;
            }
            Path f = segments.pollFirstEntry().getValue();
            try {
                if (in != null && (segments.isEmpty() || inStart < segments.firstKey())) {
                    in.close();
                    in = null;
                    inStart = -1;
                }
                if (next == null && out != null) {
                    out.close();
                    out = null;
                }
                Files.deleteIfExists(f);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "state journal: cannot delete " + f + ": " + e.getMessage());
            }
        }
    }

    /**
     * The catch-up thread: once the database is back, hands the journal to the writer in order, one round of
     * {@link #CATCH_UP_BATCH} at a time (the writer stores each round before the next), and when nothing is left
     * (and the writer stored everything it held) lets the ring feed the writer directly again.
     */
    private void catchUpLoop() {
        boolean settled = false;
        while (true) {
            List<Journaled> batch;
            synchronized (lock) {
                try {
                    while (!closing && (!journaling || writer.databaseDown())) {
                        lock.wait(50);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                if (closing) {
                    return;
                }
                try {
                    batch = read(CATCH_UP_BATCH);
                } catch (UncheckedIOException e) {
                    LOG.log(System.Logger.Level.ERROR, e.getMessage() + "; retrying");
                    batch = List.of();
                    settled = false;
                }
                if (batch.isEmpty() && settled) {
                    acknowledge(readPos); // the last segment too
                    journaling = false;
                    fullReported = false; // logged once per outage
                    settled = false;
                    LOG.log(System.Logger.Level.INFO, "state journal: caught up (" + caughtUp.sum()
                            + " events stored so far); the state writer takes the ring's events directly again");
                    lock.notifyAll();
                    continue;
                }
            }
            if (batch.isEmpty()) {
                writer.endBatch(); // what the writer still holds from before the outage
                settled = !writer.databaseDown();
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                continue;
            }
            settled = false;
            for (int i = 0; i < batch.size(); i++) {
                writer.onEvent(batch.get(i).dispatch(), batch.get(i).ringSequence(), i == batch.size() - 1);
            }
            caughtUp.add(batch.size());
            synchronized (lock) {
                acknowledge(readPos);
                lock.notifyAll();
            }
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }

    /** The ring stopped: the catch-up ends, the writer saves what it can; what is still journaled is dropped. */
    @Override
    public void onShutdown() {
        closing = true;
        catchUp.interrupt();
        try {
            catchUp.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long left;
        synchronized (lock) {
            left = journaled.sum() - caughtUp.sum();
            journaling = false;
            try {
                if (out != null) {
                    out.close();
                }
                if (in != null) {
                    in.close();
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "state journal: closing " + dir + ": " + e.getMessage());
            }
        }
        dirLock.close();
        if (left > 0) {
            LOG.log(System.Logger.Level.WARNING, "state journal: " + left + " events were not stored at shutdown (the database"
                    + " was down); the stored progress is before them, so the next start resumes there and Discord replays them");
        }
        writer.onShutdown();
    }

    /** Events written to the journal so far. */
    public long journaledEvents() {
        return journaled.sum();
    }

    /** Events handed from the journal to the writer so far. */
    public long caughtUpEvents() {
        return caughtUp.sum();
    }

    /** Bytes in the journal now. */
    public long bytes() {
        synchronized (lock) {
            return writePos - ackPos;
        }
    }

    /** The most bytes the journal held at once. */
    public long peakBytes() {
        synchronized (lock) {
            return peakBytes;
        }
    }

    /** Segment files written so far. */
    public long segmentsCreated() {
        synchronized (lock) {
            return segmentsCreated;
        }
    }

    /** True while events go to the journal instead of straight to the writer. */
    public boolean journaling() {
        synchronized (lock) {
            return journaling;
        }
    }
}
