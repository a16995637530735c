package dev.gatehouse.delivery;

import dev.gatehouse.pipeline.Handled;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The holding area between the ring and the bot: per lane (a shard always maps to the same lane, so its
 * events stay in order) a FIFO in memory, bounded in events and in bytes, and behind it a durable
 * {@link Spill} on disk, bounded in bytes. What happens past the spill's bound is the configured
 * {@link Overflow}; every drop is counted and each overflow episode logged once.
 *
 * <p>Order across memory and disk: a lane is in memory mode or in spill mode. It enters spill mode when its
 * memory is full or a POST failed (the bot is down), moving everything in memory, oldest first, to the spill
 * at once (events being POSTed move too, already read: their delivery acknowledges them there), so the ring
 * consumer never waits for a slow bot; from then on it appends every event to the spill and reads from it,
 * until the spill is empty. So per lane the events are always one ordered sequence.
 *
 * <p>Checkpoints ({@link #done}): an event counts as done for resume purposes when the bot took it or when it
 * is synced to the spill; a restart then delivers it from the spill, never from Discord's replay.
 */
final class DeliveryBuffer {
    private static final System.Logger LOG = System.getLogger(DeliveryBuffer.class.getName());
    private static final long ACK_SAVE_NANOS = 100_000_000L;
    /** Events put in a lane's memory since its last wake-up after which it is woken without waiting for the batch's end. */
    static final int WAKE_EVENTS = 64;

    private final Lane[] lanes;
    private final int maxEvents;
    /**
     * Events put in a lane's memory after which it is woken before the batch's end: {@link #WAKE_EVENTS}, fewer with a
     * small delivery.maxQueued (a quarter of each lane's share), so that the lanes take events before memory fills.
     */
    private final int wakeEvents;
    private final long maxBytes;
    private final long maxSpilledBytes;
    private final Overflow overflow;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Per shard, the last event the bot took or the spill holds durably. */
    private final Map<Integer, Handled.Mark> done = new ConcurrentHashMap<>();
    /** Per shard, the {@link Pending#order} of its mark in {@link #done}: a mark only ever moves forward. Lock held. */
    private final Map<Integer, Long> doneOrder = new HashMap<>();
    private int size;
    private long bytes;
    private long dropped;
    private long droppedInEpisode;
    private long spilled;
    private boolean closed;
    /** The last spill write failed (logged once until one succeeds). */
    private boolean spillFailing;
    private final LoadedGate gate = new LoadedGate();

    /** One lane's queues. */
    private static final class Lane {
        final ArrayDeque<Pending> memory = new ArrayDeque<>();
        final Spill spill;
        boolean spilling;
        /** Events in the spill not yet taken by the bot. */
        long spillEvents;
        /** Events taken by the lane thread and being POSTed now. */
        int inFlight;
        /**
         * Spill positions of events that were being POSTed from memory when the lane moved to the spill, oldest
         * first: their delivery acknowledges these records (they are in the spill, already read).
         */
        final ArrayDeque<Long> movedInFlight = new ArrayDeque<>();
        /** Marks of events appended to the spill since its last sync: done once synced. */
        final Map<Integer, Pending> unsynced = new HashMap<>();
        /** Per shard, the last event filters or controllers removed while the lane still held earlier ones. */
        final Map<Integer, Pending> skipped = new HashMap<>();
        long ackSavedAt;
        /**
         * Signalled when the lane has events to take: each lane has its own, so an event wakes only the lane thread that
         * takes it (one condition for all woke every waiting lane for each event, three of four for nothing).
         */
        final Condition ready;
        /** Events put in memory since the lane was last woken (they wait for {@link #wakeLanes}). */
        int unwoken;

        Lane(Spill spill, Condition ready) {
            this.spill = spill;
            this.ready = ready;
        }
    }

    /**
     * @param spillDir        where the lanes' spills live; null for no spill (memory only, overflow at its bound)
     * @param maxSpilledBytes bound of all spills together
     */
    DeliveryBuffer(int laneCount, int maxEvents, long maxBytes, Path spillDir, long maxSpilledBytes, Overflow overflow) {
        this.lanes = new Lane[laneCount];
        this.maxEvents = maxEvents;
        this.wakeEvents = Math.max(1, Math.min(WAKE_EVENTS, maxEvents / (4 * laneCount)));
        this.maxBytes = maxBytes;
        this.maxSpilledBytes = spillDir == null ? 0 : maxSpilledBytes;
        this.overflow = overflow;
        if (spillDir != null) {
            checkLaneCount(spillDir, laneCount);
        }
        for (int i = 0; i < laneCount; i++) {
            Spill s = spillDir == null ? null : new Spill(spillDir.resolve("lane-" + i));
            lanes[i] = new Lane(s, lock.newCondition());
            if (s != null && !s.isEmpty()) {
                lanes[i].spilling = true;
            }
        }
    }

    /**
     * A shard's lane is {@code shardId % lanes}: a spill written with another lane count would deliver a shard's
     * old and new events from different lanes, out of order. Refuses to start then (until the spill drains);
     * records the lane count otherwise.
     */
    private static void checkLaneCount(Path dir, int laneCount) {
        Path file = dir.resolve("lanes");
        try {
            java.nio.file.Files.createDirectories(dir);
            if (java.nio.file.Files.exists(file)) {
                String text = java.nio.file.Files.readString(file).strip();
                if (!text.matches("\\d{1,9}")) {
                    throw new IllegalArgumentException("delivery.spillDir " + dir + " cannot be used: its lane-count file " + file
                            + " holds \"" + (text.length() > 20 ? text.substring(0, 20) + "..." : text) + "\", not a number (a process"
                            + " stopped while writing it, or another process used the same delivery.spillDir at the same time);"
                            + " if the lane-N directories beside it hold events, write their count into it, else delete it");
                }
                int before = Integer.parseInt(text);
                if (before != laneCount) {
                    for (int i = 0; i < before; i++) {
                        Path lane = dir.resolve("lane-" + i);
                        if (java.nio.file.Files.isDirectory(lane)) {
                            try (Spill s = new Spill(lane)) {
                                if (!s.isEmpty()) {
                                    throw new IllegalArgumentException("delivery.connections is " + laneCount + " but the spill in "
                                            + dir + " was written with " + before + " and still holds events; set"
                                            + " delivery.connections=" + before + " until it has drained (per-shard order depends on it)");
                                }
                            }
                        }
                    }
                }
            }
            // written whole or not at all: a crash mid-write left an empty file that stopped every later start
            Path tmp = dir.resolve("lanes.tmp");
            java.nio.file.Files.writeString(tmp, Integer.toString(laneCount));
            java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("delivery.spillDir " + dir + " cannot be used: " + e.getMessage(), e);
        }
    }

    int laneOf(int shardId) {
        return shardId % lanes.length;
    }

    /**
     * The last event per shard and session already in the spills when this process started: live events up to
     * it (a Discord replay after the resume) are duplicates of what the spill delivers.
     */
    Map<Integer, Handled.Mark> spilledMarks() {
        Map<Integer, Handled.Mark> out = new HashMap<>();
        long events = 0;
        long total = 0;
        lock.lock();
        try {
            for (Lane l : lanes) {
                if (l.spill == null || l.spill.isEmpty()) {
                    continue;
                }
                total += l.spill.bytes();
                long[] n = {0};
                l.spill.scan(p -> {
                    n[0]++;
                    l.spillEvents++;
                    if (p.sessionId() != null) {
                        out.put(p.shardId(), new Handled.Mark(p.sessionId(), p.seq()));
                    }
                });
                events += n[0];
            }
        } finally {
            lock.unlock();
        }
        if (events > 0) {
            LOG.log(System.Logger.Level.INFO, "delivery: " + events + " events (" + total / 1024 + " KiB) wait in the spill from the"
                    + " previous run; they are delivered first, in order");
            spilled = events;
        }
        return out;
    }

    /**
     * Adds an event, spilling or applying the overflow policy at the bounds. Returns false only when closed. The lane
     * that takes it is woken at the ring batch's end ({@link #endOfBatch}), once {@link #wakeEvents} wait for it, or when
     * memory is full (before this call spills, drops or waits for room): one wake-up per lane and batch, not one per
     * event, each waking a lane that then took one event and contended for the lock with the next offer.
     */
    boolean offer(Pending p) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            Lane lane = lanes[laneOf(p.shardId())];
            while (!closed) {
                try {
                    if (place(lane, p)) {
                        return true;
                    }
                } catch (java.io.UncheckedIOException e) {
                    // the disk is full or gone: hold the stream (the ring fills, the shards pause) and retry
                    if (!spillFailing) {
                        spillFailing = true;
                        LOG.log(System.Logger.Level.ERROR, e.getMessage() + "; holding events and retrying every second");
                    }
                    wakeLanes();
                    changed.await(1, TimeUnit.SECONDS);
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One attempt to place an event: true when it is in memory or the spill (or dropped by the policy), false to
     * try again (after a wait or a state change). Lock held.
     */
    private boolean place(Lane lane, Pending p) throws InterruptedException {
        if (lane.spilling) {
            if (spilledBytes() + p.body().length <= maxSpilledBytes) {
                appendToSpill(lane, p);
                if (spillFailing) {
                    spillFailing = false;
                    LOG.log(System.Logger.Level.INFO, "delivery: the spill takes events again");
                }
                return true;
            }
        } else if (size < maxEvents && bytes + p.size() <= maxBytes) {
            if (noteRoom()) {
                lane.memory.add(p);
                size++;
                bytes += p.size();
                if (++lane.unwoken >= wakeEvents) {
                    wake(lane);
                }
            }
            return true;
        }
        // memory is full: the lanes not woken yet in this batch are woken now (they take what waits for them once this
        // offer lets the lock go; the event at hand is still spilled or dropped by the policy below)
        wakeLanes();
        if (!lane.spilling && lane.spill != null && spilledBytes() + p.body().length <= maxSpilledBytes) {
            // at once, even while a POST is in flight: the ring consumer never waits for the bot's pace
            startSpilling(lane, "delivery.maxQueued/maxQueuedBytes reached");
            return false;
        }
        // past every bound: the overflow policy
        if (overflow == Overflow.BLOCK) {
            changed.await(1, TimeUnit.SECONDS); // the lanes (woken above) make the room this waits for
            return false;
        }
        noteDrop();
        if (overflow == Overflow.DROP_NEWEST || lane.spilling) {
            gate.finished(p);
            return true; // a spill is read in order only: past its bound drop-oldest drops the arriving event
        }
        if (dropOldest()) {
            return false; // memory shrank: try to place the event again
        }
        // nothing that can be dropped (memory empty, or all of it being POSTed, or the event alone is past the
        // bound): drop-newest for this one event, already counted; looping would spin holding the lock for good
        gate.finished(p);
        return true;
    }

    private boolean noteRoom() {
        if (droppedInEpisode > 0 && size < maxEvents / 2) {
            LOG.log(System.Logger.Level.WARNING, "delivery: queue has room again; " + droppedInEpisode
                    + " events were dropped by delivery.overflow=" + name());
            droppedInEpisode = 0;
        }
        return true;
    }

    private long spilledBytes() {
        long n = 0;
        for (Lane l : lanes) {
            if (l.spill != null) {
                n += l.spill.bytes();
            }
        }
        return n;
    }

    private void appendToSpill(Lane lane, Pending p) {
        lane.spill.append(p);
        lane.spillEvents++;
        spilled++;
        if (p.sessionId() != null) {
            lane.unsynced.put(p.shardId(), p);
        }
    }

    /**
     * Moves the lane's memory, oldest first, to its spill and keeps appending there. The events being POSTed
     * (the first {@code inFlight}) move too, already read: their delivery acknowledges their records, and should the
     * process stop first they are delivered again from the spill.
     */
    private void startSpilling(Lane lane, String why) {
        int moved = lane.memory.size();
        int inFlight = Math.min(lane.inFlight, moved);
        for (Pending m : lane.memory) {
            appendToSpill(lane, m);
            size--;
            bytes -= m.size();
        }
        lane.memory.clear();
        lane.spilling = true;
        sync(lane);
        if (inFlight > 0) {
            List<Pending> taken = new java.util.ArrayList<>(inFlight);
            lane.spill.read(inFlight, taken);
            for (Pending t : taken) {
                lane.movedInFlight.add(t.spillEnd());
            }
        }
        LOG.log(System.Logger.Level.INFO, "delivery: lane " + indexOf(lane) + " spills to disk (" + why + "); moved "
                + moved + " queued events there, in order");
    }

    private int indexOf(Lane lane) {
        for (int i = 0; i < lanes.length; i++) {
            if (lanes[i] == lane) {
                return i;
            }
        }
        return -1;
    }

    private void sync(Lane lane) {
        if (lane.spill == null) {
            return;
        }
        lane.spill.sync();
        for (Pending p : lane.unsynced.values()) {
            advance(p);
        }
        lane.unsynced.clear();
        lane.ready.signalAll();
    }

    /**
     * Makes the event the shard's done mark unless a later one of the shard is already there: a sync that failed
     * and succeeds later, after the bot took newer events, must not move the mark back (to an older session). Lock held.
     */
    private void advance(Pending p) {
        Long before = doneOrder.get(p.shardId());
        if (before != null && before >= p.order()) {
            return;
        }
        doneOrder.put(p.shardId(), p.order());
        done.put(p.shardId(), new Handled.Mark(p.sessionId(), p.seq()));
    }

    /** Wakes the lanes that have events put in memory since they were last woken. Lock held. */
    private void wakeLanes() {
        for (Lane l : lanes) {
            if (l.unwoken > 0) {
                wake(l);
            }
        }
    }

    private static void wake(Lane lane) {
        lane.unwoken = 0;
        lane.ready.signalAll();
    }

    /**
     * The ring consumer reached the end of a batch: the lanes with new events are woken, appended spill records are
     * synced (one fsync per lane).
     */
    void endOfBatch() {
        lock.lock();
        try {
            wakeLanes();
            for (Lane l : lanes) {
                if (!l.unsynced.isEmpty() || (l.spill != null && l.spill.hasUnread())) {
                    try {
                        sync(l);
                    } catch (java.io.UncheckedIOException e) {
                        // the events stay buffered and count as not done; the next batch or read syncs again
                        if (!spillFailing) {
                            spillFailing = true;
                            LOG.log(System.Logger.Level.ERROR, e.getMessage() + "; retrying at the next batch");
                        }
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void noteDrop() {
        dropped++;
        if (droppedInEpisode++ == 0) {
            LOG.log(System.Logger.Level.WARNING, "delivery: " + (maxSpilledBytes > 0 ? "the spill holds " + spilledBytes()
                    + " bytes (delivery.maxSpilledBytes)" : size + " events queued (delivery.maxQueued/maxQueuedBytes)")
                    + "; dropping " + (overflow == Overflow.DROP_NEWEST ? "arriving" : "oldest") + " events by delivery.overflow="
                    + name() + " until the bot catches up");
        }
    }

    private String name() {
        return overflow.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** Drops the oldest memory event that is not being POSTed; false when there is none. */
    private boolean dropOldest() {
        Lane from = null;
        long oldest = Long.MAX_VALUE;
        for (Lane l : lanes) {
            Pending p = waitingHead(l);
            if (p != null && p.order() < oldest) {
                oldest = p.order();
                from = l;
            }
        }
        if (from == null) {
            return false;
        }
        java.util.Iterator<Pending> it = from.memory.iterator();
        for (int skip = from.inFlight; skip > 0; skip--) {
            it.next();
        }
        Pending p = it.next();
        it.remove();
        gate.finished(p);
        size--;
        bytes -= p.size();
        return true;
    }

    private static Pending waitingHead(Lane l) {
        int skip = l.inFlight;
        for (Pending p : l.memory) {
            if (skip-- == 0) {
                return p;
            }
        }
        return null;
    }

    /**
     * Takes up to {@code max} events from the head of a lane (memory, or the spill in spill mode) into
     * {@code out}, waiting up to the timeout for one. Memory events stay queued until {@link #delivered}.
     */
    void take(int index, int maxEvents, List<Pending> out, long timeoutMs) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            Lane lane = lanes[index];
            long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (!closed && nanos > 0 && (lane.spilling ? !lane.spill.hasUnread() : lane.memory.isEmpty())) {
                nanos = lane.ready.awaitNanos(nanos);
            }
            if (lane.spilling) {
                lane.spill.read(maxEvents, out);
            } else {
                int n = 0;
                for (Pending p : lane.memory) {
                    if (n++ == maxEvents) {
                        break;
                    }
                    out.add(p);
                }
            }
            lane.inFlight = out.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds to the batch a lane took last (and holds, not posted yet) the events queued behind it in memory since, up to
     * {@code maxEvents} in all, as if it were taken now; nothing when the lane has moved to the spill since.
     */
    void topUp(int index, int maxEvents, List<Pending> batch) {
        lock.lock();
        try {
            Lane lane = lanes[index];
            if (lane.spilling || lane.inFlight != batch.size()) {
                return;
            }
            int n = 0;
            for (Pending p : lane.memory) {
                if (n == maxEvents) {
                    break;
                }
                if (n++ >= batch.size()) {
                    batch.add(p);
                }
            }
            lane.inFlight = batch.size();
        } finally {
            lock.unlock();
        }
    }

    /** The bot took (or refused for good, dead-lettered) the first {@code count} events of the batch taken last. */
    void delivered(int index, List<Pending> batch, int count) {
        lock.lock();
        try {
            Lane lane = lanes[index];
            for (int i = 0; i < count; i++) {
                Pending p = batch.get(i);
                gate.finished(p);
                if (p.spillEnd() >= 0) {
                    lane.spill.acknowledge(p.spillEnd());
                    lane.spillEvents--;
                } else if (!lane.movedInFlight.isEmpty()) {
                    lane.spill.acknowledge(lane.movedInFlight.poll()); // taken from memory, moved to the spill since
                    lane.spillEvents--;
                } else {
                    Pending head = lane.memory.pollFirst();
                    if (head != null) {
                        size--;
                        bytes -= head.size();
                    }
                    if (p.sessionId() != null) {
                        advance(p);
                    }
                }
            }
            // the rest of the batch (after a partial refusal or a held ALL_LOADED) is still the lane's, in flight
            lane.inFlight = Math.max(0, lane.inFlight - count);
            if (lane.spilling && lane.spill.isEmpty()) {
                lane.spilling = false;
                lane.spillEvents = 0;
                lane.spill.saveAck();
                LOG.log(System.Logger.Level.INFO, "delivery: lane " + index + " delivered its whole spill; back to memory");
            } else if (lane.spill != null && System.nanoTime() - lane.ackSavedAt > ACK_SAVE_NANOS) {
                lane.spill.saveAck();
                lane.ackSavedAt = System.nanoTime();
            }
            advanceSkipped(lane);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * An event that filters or controllers removed before delivery: it counts as done once everything before it
     * on its lane is (at once when the lane is empty), so a session whose events are all filtered still moves the
     * shard's checkpoint (a restart resumes it instead of an older session).
     */
    void skipped(Pending p) {
        if (p.sessionId() == null) {
            return;
        }
        lock.lock();
        try {
            Lane lane = lanes[laneOf(p.shardId())];
            lane.skipped.put(p.shardId(), p);
            advanceSkipped(lane);
        } finally {
            lock.unlock();
        }
    }

    /** When nothing of the lane waits (memory, spill, unsynced), its skipped events are done. Lock held. */
    private void advanceSkipped(Lane lane) {
        if (lane.skipped.isEmpty() || !lane.memory.isEmpty() || lane.spilling || !lane.unsynced.isEmpty()) {
            return;
        }
        for (Pending p : lane.skipped.values()) {
            advance(p);
        }
        lane.skipped.clear();
    }

    /**
     * A POST of the lane's batch failed and will be retried. A lane in memory mode moves to the spill (the bot
     * is down: what waits must survive a crash); returns true when the lane must drop its batch and take again
     * (the same events, now from the spill).
     */
    boolean failed(int index, String why) {
        lock.lock();
        try {
            Lane lane = lanes[index];
            long memoryBytes = 0;
            for (Pending p : lane.memory) {
                memoryBytes += p.body().length;
            }
            if (lane.spill != null && !lane.spilling && spilledBytes() + memoryBytes <= maxSpilledBytes) {
                lane.inFlight = 0; // the lane drops its batch and reads the same events from the spill
                startSpilling(lane, why);
                changed.signalAll();
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Holds GATEHOUSE_ALL_LOADED back until every SHARD_LOADED before it is finished. */
    LoadedGate gate() {
        return gate;
    }

    /** Events in memory and in the spills, not yet taken by the bot. */
    long size() {
        lock.lock();
        try {
            long n = size;
            for (Lane l : lanes) {
                n += l.spillEvents;
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Events in memory. */
    int memoryEvents() {
        return locked(() -> size);
    }

    /** Bytes of events in memory. */
    long memoryBytes() {
        return locked(() -> bytes);
    }

    /** Bytes of events in the spills, not yet taken. */
    long spillBytes() {
        return locked(() -> spilledBytes());
    }

    /** Events in the spills, not yet taken by the bot. */
    long spillEvents() {
        return locked(() -> {
            long n = 0;
            for (Lane l : lanes) {
                n += l.spillEvents;
            }
            return n;
        });
    }

    /** Events written to the spills since start. */
    long spilled() {
        return locked(() -> spilled);
    }

    long dropped() {
        return locked(() -> dropped);
    }

    private <T> T locked(java.util.function.Supplier<T> read) {
        lock.lock();
        try {
            return read.get();
        } finally {
            lock.unlock();
        }
    }

    /** Per shard, the last event the bot took or the spill holds durably. */
    Map<Integer, Handled.Mark> done() {
        return done;
    }

    /**
     * Stops accepting; wakes every waiter. What memory still holds goes to the spills (where there is one), so
     * the next start delivers it; returns how many events stayed in memory only (lost unless Discord replays).
     * {@link #spillEvents} then says how many wait in the spills.
     */
    int close() {
        lock.lock();
        try {
            closed = true;
            int left = 0;
            for (Lane l : lanes) {
                if (l.spill != null && maxSpilledBytes > 0) {
                    l.inFlight = 0;
                    if (!l.memory.isEmpty()) {
                        startSpilling(l, "shutdown");
                    }
                    sync(l);
                    l.spill.close();
                } else {
                    left += l.memory.size();
                }
            }
            for (Lane l : lanes) {
                l.ready.signalAll();
            }
            changed.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }
}
