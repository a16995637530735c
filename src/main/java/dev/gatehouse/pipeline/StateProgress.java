package dev.gatehouse.pipeline;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.Sequence;

/**
 * The state writer's ring handler, announcing every move of its sequence to the consumers gated after it
 * ({@link ParkingWaitStrategy#advanced}), so that they park until the writer has committed instead of polling its
 * sequence. The writer moves it in two ways, both announced: early, after a commit, through the sequence the ring hands
 * it ({@link #setSequenceCallback}: it gets a view that announces each write), and at a batch's end, which this handler
 * does itself, just before the Disruptor would (the same value, so the order of everything is the ring's own). A batch
 * that fails is skipped by the Disruptor as before; the move past it is announced here too.
 */
final class StateProgress implements EventHandler<Dispatch> {
    private final EventHandler<Dispatch> writer;
    private final ParkingWaitStrategy waits;
    /** The writer's processor's sequence, as the announcing view the writer is handed too (null until the ring starts). */
    private Sequence sequence;

    StateProgress(EventHandler<Dispatch> writer, ParkingWaitStrategy waits) {
        this.writer = writer;
        this.waits = waits;
    }

    @Override
    public void onEvent(Dispatch d, long seq, boolean endOfBatch) throws Exception {
        try {
            writer.onEvent(d, seq, endOfBatch);
        } catch (Exception | Error e) {
            moved(seq); // the Disruptor skips the slot (its exception handler logs it): the dependents may pass it
            throw e;
        }
        if (endOfBatch) {
            moved(seq);
        }
    }

    /** Moves the sequence to {@code seq} and announces it, unless the writer's own early move got there already. */
    private void moved(long seq) {
        Sequence s = sequence;
        if (s != null && s.get() < seq) {
            s.set(seq);
        }
    }

    @Override
    public void setSequenceCallback(Sequence sequenceCallback) {
        this.sequence = new Announced(sequenceCallback, waits);
        writer.setSequenceCallback(sequence);
    }

    @Override
    public void onBatchStart(long batchSize, long queueDepth) {
        writer.onBatchStart(batchSize, queueDepth);
    }

    @Override
    public void onStart() {
        writer.onStart();
    }

    @Override
    public void onShutdown() {
        writer.onShutdown();
    }

    @Override
    public void onTimeout(long seq) throws Exception {
        writer.onTimeout(seq);
    }

    /**
     * The processor's sequence as the writer sees it: reads and writes go to the processor's own, and every write is
     * announced. (Its own value, inherited, is never used.)
     */
    private static final class Announced extends Sequence {
        private final Sequence target;
        private final ParkingWaitStrategy waits;

        Announced(Sequence target, ParkingWaitStrategy waits) {
            this.target = target;
            this.waits = waits;
        }

        @Override
        public long get() {
            return target.get();
        }

        @Override
        public void set(long value) {
            target.set(value);
            waits.advanced();
        }

        @Override
        public void setVolatile(long value) {
            target.setVolatile(value);
            waits.advanced();
        }

        @Override
        public boolean compareAndSet(long expected, long value) {
            boolean set = target.compareAndSet(expected, value);
            if (set) {
                waits.advanced();
            }
            return set;
        }

        @Override
        public long incrementAndGet() {
            return addAndGet(1);
        }

        @Override
        public long addAndGet(long increment) {
            long v = target.addAndGet(increment);
            waits.advanced();
            return v;
        }

        @Override
        public long getAndAdd(long increment) {
            long v = target.getAndAdd(increment);
            waits.advanced();
            return v;
        }

        @Override
        public String toString() {
            return target.toString();
        }
    }
}
