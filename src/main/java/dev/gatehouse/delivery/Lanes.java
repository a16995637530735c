package dev.gatehouse.delivery;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * One thread per delivery connection, each POSTing its shards' events in order: take a batch from the
 * {@link DeliveryBuffer} (what is waiting, up to the target's {@link Target#batchLimit}: one event when idle, a
 * batch when there is a backlog), POST it, and act on the {@link Answer}: delivered, held (backoff honouring
 * {@code Retry-After}, the lane moves to the spill), or refused (a batch is retried event by event so only
 * the refused event goes to the {@link DeadLetters}).
 */
final class Lanes {
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 5_000;

    private final DeliveryBuffer buffer;
    private final Target bot;
    private final DeadLetters deadLetters;
    private final Outage outage;
    private final int batchSize;
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder posts = new LongAdder();
    private final LongAdder eventsPosted = new LongAdder();
    private final LongAdder lingers = new LongAdder();
    /** {@code delivery.lingerMs}: how long a lane with a batch not full waits for more events before its POST. */
    private final long lingerNanos;
    private final LatencyHistogram latency;
    private volatile boolean running = true;
    private volatile long drainDeadline = Long.MAX_VALUE;

    Lanes(int count, DeliveryBuffer buffer, Target bot, DeadLetters deadLetters, int batchSize, LatencyHistogram latency) {
        this(count, buffer, bot, deadLetters, batchSize, latency, 0);
    }

    /**
     * @param lingerNanos when POSTs are batches (the limit above 1) and a lane takes fewer events than a batch from memory,
     *                    it waits this long for more before the POST (0: never)
     */
    Lanes(int count, DeliveryBuffer buffer, Target bot, DeadLetters deadLetters, int batchSize, LatencyHistogram latency,
          long lingerNanos) {
        this.lingerNanos = lingerNanos;
        this.buffer = buffer;
        this.bot = bot;
        this.deadLetters = deadLetters;
        this.outage = new Outage(bot.where());
        this.batchSize = batchSize;
        this.latency = latency;
        this.retryAfter = new long[count];
        for (int i = 0; i < count; i++) {
            int lane = i;
            threads.add(Thread.ofPlatform().name("gatehouse-delivery-" + i).daemon(true).start(() -> run(lane)));
        }
    }

    private void run(int lane) {
        List<Pending> batch = new ArrayList<>();
        long backoff = MIN_BACKOFF_MS;
        while (running || (buffer.memoryEvents() > 0 && System.nanoTime() < drainDeadline && !outage.down())) {
            try {
                if (batch.isEmpty()) {
                    int limit = bot.batchLimit(batchSize);
                    buffer.take(lane, limit, batch, 200);
                    if (batch.isEmpty()) {
                        continue;
                    }
                    if (lingerNanos > 0 && limit > 1 && batch.size() < limit) {
                        // a batch not full: wait a little for company, so that a bot that takes arrays gets one POST per
                        // linger instead of one per event; the events that came meanwhile join it, in order
                        lingers.increment();
                        java.util.concurrent.locks.LockSupport.parkNanos(lingerNanos);
                        buffer.topUp(lane, limit, batch);
                    }
                }
                // no more than the bot takes now: it may have stopped asking for batches since this one was taken
                int ready = Math.min(buffer.gate().firstWaiting(batch), bot.batchLimit(batchSize));
                if (ready == 0) {
                    Thread.sleep(10); // GATEHOUSE_ALL_LOADED waits for every shard's SHARD_LOADED on the other lanes
                    continue;
                }
                int done = post(lane, ready == batch.size() ? batch : batch.subList(0, ready));
                if (done < 0) {
                    retries.increment();
                    if (buffer.failed(lane, "the bot is not taking events")) {
                        batch.clear(); // the same events come back from the spill, in order
                    }
                    long wait = Math.max(backoff, retryAfter[lane]);
                    Thread.sleep(wait + ThreadLocalRandom.current().nextLong(wait / 4 + 1));
                    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
                    continue;
                }
                backoff = MIN_BACKOFF_MS;
                buffer.delivered(lane, batch, done);
                batch.subList(0, done).clear();
            } catch (InterruptedException e) {
                return;
            } catch (Throwable e) {
                // a spill that cannot be read (disk error), or an Error of a controller's target: the batch is kept
                // and retried every second, logged at most once a minute; the lane thread never ends of it
                long now = System.nanoTime();
                if (now - lastFailureLog > 60_000_000_000L) {
                    lastFailureLog = now;
                    System.getLogger(Lanes.class.getName()).log(System.Logger.Level.ERROR,
                            "delivery: lane " + lane + " failed; retrying every second (logged at most once a minute)", e);
                }
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Per lane, the Retry-After of its last held answer (0 after a delivery): one lane's 429 never slows another. */
    private final long[] retryAfter;
    private volatile long lastFailureLog = System.nanoTime() - 120_000_000_000L;

    /**
     * POSTs the batch; returns its size once every event is delivered or dead-lettered, or -1 when it is held.
     * A refused batch of several events is retried one event at a time, so only the refused one is set aside;
     * a prefix that got through before a hold is acknowledged at once.
     */
    private int post(int lane, List<Pending> batch) throws InterruptedException {
        int limit = bot.batchLimit(batchSize);
        Answer a = sent(bot.post(batch), batch.size());
        switch (a.verdict()) {
            case DELIVERED -> {
                delivered(lane, batch);
                return batch.size();
            }
            case HOLD -> {
                held(lane, a);
                return -1;
            }
            default -> {
                // a refusal that also changed what the bot asks for (a bot redeployed without arrays refusing one)
                // is retried once in the new shape before anything becomes a dead letter
                if (batch.size() == 1 && bot.batchLimit(batchSize) == limit) {
                    outage.delivered(buffer.size());
                    deadLetters.add(batch.get(0), a);
                    return 1;
                }
                for (int i = 0; i < batch.size(); i++) {
                    List<Pending> one = List.of(batch.get(i));
                    Answer b = sent(bot.post(one), 1);
                    if (b.verdict() == Answer.Verdict.HOLD) {
                        held(lane, b);
                        buffer.delivered(lane, batch, i);
                        batch.subList(0, i).clear();
                        return -1;
                    }
                    if (b.verdict() == Answer.Verdict.DELIVERED) {
                        delivered(lane, one);
                    } else {
                        deadLetters.add(one.get(0), b);
                    }
                }
                return batch.size();
            }
        }
    }

    private Answer sent(Answer a, int events) {
        posts.increment();
        eventsPosted.add(events);
        return a;
    }

    long posts() {
        return posts.sum();
    }

    long eventsPosted() {
        return eventsPosted.sum();
    }

    long lingers() {
        return lingers.sum();
    }

    private void held(int lane, Answer a) {
        retryAfter[lane] = a.retryAfterMs(); // only the lane's own thread reads and writes its slot
        if (running) {
            outage.held(a, buffer.size());
        }
    }

    private void delivered(int lane, List<Pending> batch) {
        retryAfter[lane] = 0;
        outage.delivered(buffer.size());
        delivered.add(batch.size());
        long now = System.nanoTime();
        for (Pending p : batch) {
            if (p.receivedNanos() != 0) {
                latency.record(now - p.receivedNanos());
            }
        }
    }

    long delivered() {
        return delivered.sum();
    }

    long retries() {
        return retries.sum();
    }

    long outages() {
        return outage.count();
    }

    /**
     * Stops: the lanes keep delivering what memory holds for up to {@code drainMs} (not while the bot is down:
     * then it goes to the spill at once), then stop.
     */
    void close(long drainMs) {
        drainDeadline = System.nanoTime() + drainMs * 1_000_000L;
        running = false;
        long end = drainDeadline + 2_000_000_000L;
        for (Thread t : threads) {
            try {
                long left = end - System.nanoTime();
                if (left > 0) {
                    t.join(java.time.Duration.ofNanos(left));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
