package dev.gatehouse.shard;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;

/**
 * One worker thread owning a fixed group of shards outright. Netty threads and the identify queue hand it
 * work through a JCTools MPSC queue; the thread inflates, decodes and publishes for its shards and runs
 * their timers (heartbeats, reconnects). Nothing else touches a shard's state, so shards need no locks.
 */
final class Cluster implements Runnable {
    private static final System.Logger LOG = System.getLogger(Cluster.class.getName());
    private static final long MAX_PARK_NANOS = 100_000_000L;
    private static final int MAX_TASKS_PER_TICK = 256;

    private final int id;
    private final List<Shard> shards = new ArrayList<>();
    private final MpscUnboundedXaddArrayQueue<Runnable> inbox = new MpscUnboundedXaddArrayQueue<>(1024);
    private volatile boolean running = true;
    private volatile boolean parked;
    private volatile Thread thread;

    Cluster(int id) {
        this.id = id;
    }

    int id() {
        return id;
    }

    void add(Shard shard) {
        shards.add(shard);
    }

    /** Cluster thread: puts {@code fresh} where {@code old} was (a shard identifying anew). */
    void replace(Shard old, Shard fresh) {
        shards.set(shards.indexOf(old), fresh);
    }

    List<Shard> shards() {
        return shards;
    }

    /** Starts the worker as a platform or virtual thread. */
    void start(boolean virtual) {
        String name = "gatehouse-cluster-" + id;
        thread = virtual ? Thread.ofVirtual().name(name).unstarted(this) : Thread.ofPlatform().name(name).daemon(true).unstarted(this);
        thread.start();
    }

    /** Runs a task on this cluster's thread, in submission order. Callable from any thread. */
    void execute(Runnable task) {
        inbox.offer(task);
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    /** Asks the worker to stop after the tasks already queued; returns at once (see {@link #awaitStopped}). */
    void stop() {
        running = false;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Waits until the worker stopped or the deadline ({@link System#nanoTime()}) passed; true when it stopped. */
    boolean awaitStopped(long deadlineNanos) throws InterruptedException {
        Thread t = thread;
        if (t == null) {
            return true;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            t.join(java.time.Duration.ofNanos(left));
        }
        return !t.isAlive();
    }

    @Override
    public void run() {
        for (Shard s : shards) {
            s.start();
        }
        while (running) {
            // a bounded drain: under a firehose the inbox never empties, and heartbeats must still go out
            Runnable task;
            for (int i = 0; i < MAX_TASKS_PER_TICK && (task = inbox.relaxedPoll()) != null; i++) {
                runSafely(task);
            }
            long now = System.nanoTime();
            long next = now + MAX_PARK_NANOS;
            for (Shard s : shards) {
                next = Math.min(next, s.tick(now));
            }
            parked = true;
            if (inbox.isEmpty() && running) {
                LockSupport.parkNanos(this, Math.max(0, next - System.nanoTime()));
            }
            parked = false;
        }
        Runnable task;
        while ((task = inbox.relaxedPoll()) != null) {
            runSafely(task);
        }
        for (Shard s : shards) {
            s.publishStatus();
        }
    }

    private void runSafely(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cluster " + id + ": a shard task failed; the cluster keeps running", e);
        }
    }
}
