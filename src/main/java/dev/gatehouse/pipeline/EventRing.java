package dev.gatehouse.pipeline;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The Disruptor ring between the clusters (producers, one per cluster thread) and the two consumers: the
 * state writer and the delivery forwarder. With {@code deliveryAfterState} the forwarder only sees a slot
 * once the writer has stored it, so the bot never reads state older than the event it holds; it (and every tap)
 * parks until the writer's commit wakes it ({@link StateProgress}).
 *
 * <p>Blocking waits ({@link ParkingWaitStrategy}): on two cores, spinning consumers would starve the cluster
 * threads. A full ring never makes a producer wait: {@link #tryPublish} says no, and the shard holds the
 * dispatch and stops reading its socket (the backpressure of the whole gateway, without stopping heartbeats).
 */
public final class EventRing implements DispatchSink {
    private static final System.Logger LOG = System.getLogger(EventRing.class.getName());

    private final Disruptor<Dispatch> disruptor;
    private final RingBuffer<Dispatch> ring;
    private final EventHandler<Dispatch> state;
    private final EventHandler<Dispatch> delivery;
    private final java.util.List<EventHandler<Dispatch>> consumers;
    private final ParkingWaitStrategy waits;

    public EventRing(int size, EventHandler<Dispatch> state, EventHandler<Dispatch> delivery, boolean deliveryAfterState) {
        this(size, state, delivery, deliveryAfterState, java.util.List.of());
    }

    /**
     * A ring with read-only taps besides the two consumers (the API's: member chunks, counts by type). A tap
     * sees every slot after the state writer has stored it (so an op 8 answer never precedes its chunks in the
     * state), must copy what it keeps and must never block: the ring waits for its slowest consumer.
     */
    public EventRing(int size, EventHandler<Dispatch> state, EventHandler<Dispatch> delivery, boolean deliveryAfterState,
                     java.util.List<EventHandler<Dispatch>> taps) {
        this(size, state, delivery, deliveryAfterState, taps, 0, 1);
    }

    /**
     * As above, with the state writer's linger ({@code state.lingerMs}, in ms; 0: none): when fewer than
     * {@code lingerEvents} (at most half the ring) wait for it, it waits up to that long (or for {@code lingerEvents}) for company before taking what came (see
     * {@link ParkingWaitStrategy}).
     */
    public EventRing(int size, EventHandler<Dispatch> state, EventHandler<Dispatch> delivery, boolean deliveryAfterState,
                     java.util.List<EventHandler<Dispatch>> taps, long stateLingerMs, int lingerEvents) {
        this(size, state, delivery, deliveryAfterState, taps, SlotReclaimer.IDLE_SLOTS_PER_SECOND);
        // at most half the ring: with state.batchMaxEvents (2000 by default) above what the ring can hold waiting (a
        // ring.size of 1024), every batch, a full ring's too, would linger, and the ring would pass ring.size per linger
        waits.lingerFor(disruptor.getBarrierFor(this.state), TimeUnit.MILLISECONDS.toNanos(stateLingerMs),
                Math.max(1, Math.min(lingerEvents, size / 2)));
    }

    /**
     * As above, with the rate under which the reclaimer drops the slots' kept buffers too ({@code 0}: never; tests
     * use it to hold the ring at one behaviour whatever the machine's speed).
     */
    EventRing(int size, EventHandler<Dispatch> state, EventHandler<Dispatch> delivery, boolean deliveryAfterState,
              java.util.List<EventHandler<Dispatch>> taps, int idleSlotsPerSecond) {
        this(size, state, delivery, deliveryAfterState, taps, idleSlotsPerSecond, new ParkingWaitStrategy());
    }

    /** As above, with the ring's waits (tests: one whose consumers after the writer wait for nothing but its signals). */
    EventRing(int size, EventHandler<Dispatch> state, EventHandler<Dispatch> delivery, boolean deliveryAfterState,
              java.util.List<EventHandler<Dispatch>> taps, int idleSlotsPerSecond, ParkingWaitStrategy waits) {
        this.waits = waits;
        // each consumer's thread named by its role (the Disruptor starts them in the order they are added below), so
        // a thread's CPU can be told from outside (/proc, jcmd: the peers bench's thread roles)
        java.util.Iterator<String> names = consumerThreadNames(taps.size()).iterator();
        disruptor = new Disruptor<>(Dispatch::new, size, r -> {
            Thread t = new Thread(r, names.hasNext() ? names.next() : "gatehouse-ring-consumer");
            t.setDaemon(true);
            return t;
        }, ProducerType.MULTI, waits);
        // the writer's handler announces each move of its sequence: the consumers after it park until it commits
        this.state = new StateProgress(state, waits);
        this.delivery = delivery;
        disruptor.setDefaultExceptionHandler(new Fatal());
        if (deliveryAfterState) {
            disruptor.handleEventsWith(this.state).then(delivery);
            waits.wakeOnAdvance(disruptor.getBarrierFor(delivery));
        } else {
            // two calls, two barriers: one call would give both one barrier, and delivery would linger as the writer does
            disruptor.handleEventsWith(this.state);
            disruptor.handleEventsWith(delivery);
        }
        for (EventHandler<Dispatch> tap : taps) {
            disruptor.after(this.state).handleEventsWith(tap); // after state: an op 8 answer never precedes its stored chunks
            waits.wakeOnAdvance(disruptor.getBarrierFor(tap));
        }
        java.util.List<EventHandler<Dispatch>> all = new java.util.ArrayList<>(java.util.List.of(this.state, delivery));
        all.addAll(taps);
        consumers = java.util.List.copyOf(all);
        @SuppressWarnings("unchecked")
        EventHandler<Dispatch>[] gates = all.toArray(EventHandler[]::new);
        com.lmax.disruptor.dsl.EventProcessorFactory<Dispatch> reclaimer =
                (r, barriers) -> new SlotReclaimer(r, barriers, idleSlotsPerSecond);
        disruptor.after(gates).handleEventsWith(reclaimer); // last: large frames (idle: every buffer) dropped once all passed
        ring = disruptor.start();
    }

    /** The consumers' thread names in the order the Disruptor starts them: state, delivery, the taps, the reclaimer. */
    private static java.util.List<String> consumerThreadNames(int taps) {
        java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of("gatehouse-ring-state", "gatehouse-ring-delivery"));
        for (int i = 0; i < taps; i++) {
            names.add("gatehouse-ring-tap-" + i);
        }
        names.add("gatehouse-ring-reclaimer");
        return names;
    }

    /**
     * Copies one dispatch into the next slot and publishes it, waiting while the ring is full. For producers that
     * may wait (tests, benchmarks); a cluster thread never calls this, it uses {@link #tryPublish}.
     */
    public void publish(int shardId, Session session, long seq, String type, long guildId, byte[] buf, int off, int len,
                        long receivedNanos) {
        while (!tryPublish(shardId, session, seq, type, guildId, GuildKind.NONE, buf, off, len, receivedNanos)) {
            LockSupport.parkNanos(100_000);
        }
    }

    /**
     * Copies one dispatch into the next slot and publishes it, or returns false at once when the ring is full
     * (the caller keeps the dispatch and offers it again later, in order). Never waits.
     */
    @Override
    public boolean tryPublish(int shardId, Session session, long seq, String type, long guildId, GuildKind kind, byte[] buf,
                              int off, int len, long receivedNanos) {
        long s;
        try {
            s = ring.tryNext();
        } catch (InsufficientCapacityException full) {
            return false;
        }
        try {
            ring.get(s).set(shardId, session, seq, type, guildId, kind, buf, off, len, receivedNanos);
        } finally {
            ring.publish(s);
        }
        return true;
    }

    /**
     * Lets the state writer linger up to {@code ms} (at least {@code state.lingerMs}) instead of its linger when many
     * events came during each of its last two transactions ({@code state.busyLingerMs}, {@link ParkingWaitStrategy#busyLinger}).
     */
    public void stateBusyLinger(long ms) {
        waits.busyLinger(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    /** Times the state writer lingered its busy linger ({@code state.busyLingerMs}); counted in {@link #stateLingers} too. */
    public long stateBusyLingers() {
        return waits.busyLingers();
    }

    /** Times the state writer lingered for company ({@code state.lingerMs}): at most one per batch. */
    public long stateLingers() {
        return waits.lingers();
    }

    /** Slots published since start: dispatches of every shard set and Gatehouse's signals; it never goes back. */
    public long published() {
        return ring.getCursor() + 1;
    }

    /** Slots published but not yet consumed by every consumer (the reclaimer, which only frees memory, aside). */
    public long backlog() {
        long slowest = ring.getCursor();
        for (EventHandler<Dispatch> c : consumers) {
            slowest = Math.min(slowest, disruptor.getSequenceValueFor(c));
        }
        return ring.getCursor() - slowest;
    }

    /**
     * Payload bytes the ring's slots hold now: their kept buffers (at most {@link Dispatch#SLOT_BYTES} each,
     * allocated at a slot's first use, dropped when the reclaimer passes the slot while the ring is idle) and the large frames the reclaimer has not dropped yet. Read without
     * synchronisation: a gauge, exact once the ring is quiet.
     */
    public long retainedBytes() {
        long bytes = 0;
        for (int i = 0; i < ring.getBufferSize(); i++) {
            bytes += ring.get(i).retainedBytes();
        }
        return bytes;
    }

    /** Slots published that the state writer has not finished yet: the state's lag, in dispatches. */
    public long stateBacklog() {
        return Math.max(0, ring.getCursor() - disruptor.getSequenceValueFor(state));
    }

    /** Slots published that delivery has not taken yet. */
    public long deliveryBacklog() {
        return Math.max(0, ring.getCursor() - disruptor.getSequenceValueFor(delivery));
    }

    /**
     * Waits until every published slot has been consumed, then stops the consumer threads. Consumers that
     * cannot finish within the timeout are halted; returns how many dispatches the delivery consumer had not
     * reached then.
     */
    public long shutdown(long timeoutMs) {
        // Disruptor.shutdown() skips consumers whose threads have not started yet; wait on their sequences instead
        long cursor = ring.getCursor();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (Math.min(disruptor.getSequenceValueFor(state), disruptor.getSequenceValueFor(delivery)) < cursor) {
            if (System.nanoTime() > deadline) {
                long left = cursor - disruptor.getSequenceValueFor(delivery);
                LOG.log(System.Logger.Level.WARNING, "ring: consumers did not drain in " + timeoutMs + " ms; halting with "
                        + left + " dispatches not delivered (the next start resumes from the last checkpoints)");
                disruptor.halt();
                return left;
            }
            LockSupport.parkNanos(1_000_000);
        }
        disruptor.halt();
        return 0;
    }

    /** Consumers handle their own errors (retry, count, log); anything reaching here is a bug: log it loudly. */
    private static final class Fatal implements ExceptionHandler<Dispatch> {
        @Override
        public void handleEventException(Throwable ex, long sequence, Dispatch event) {
            LOG.log(System.Logger.Level.ERROR, "ring: consumer failed on " + event + "; the slot is skipped", ex);
        }

        @Override
        public void handleOnStartException(Throwable ex) {
            LOG.log(System.Logger.Level.ERROR, "ring: consumer failed to start", ex);
        }

        @Override
        public void handleOnShutdownException(Throwable ex) {
            LOG.log(System.Logger.Level.ERROR, "ring: consumer failed to stop", ex);
        }
    }
}
