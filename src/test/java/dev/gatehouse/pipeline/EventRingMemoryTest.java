package dev.gatehouse.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.lmax.disruptor.EventHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ring's slots do not pin the largest frame they held: a burst of large GUILD_CREATE-sized frames is held
 * while the consumers have not finished with it, and let go of once every consumer has passed it, whatever the
 * wiring (delivery after state or beside it, with or without taps). Every consumer keeps the slots of its batch
 * until the batch ends (as the state writer and the forwarder do) and finds every one of them whole then, also when
 * the ring is idle and the reclaimer drops the slots' kept buffers as well.
 */
class EventRingMemoryTest {
    private static final int SLOTS = 1024;
    private static final int BURST = 64;
    private static final int LARGE = 300_000;

    /**
     * {@code slow} names the consumer that holds the burst (its first batch waits for the test): each of them in turn,
     * so a reclaimer that does not wait for any one consumer (state, delivery, every tap) lets a frame go too early.
     * {@code idle}: the ring runs as under the firehose ({@code false}: the reclaimer never finds it idle and slots
     * keep their small buffers) or as idle ({@code true}: it always does and drops them too).
     */
    @ParameterizedTest(name = "deliveryAfterState={0}, taps={1}, slow={2}, idle={3}")
    @CsvSource({"true,0,delivery,false", "true,0,state,false", "true,1,delivery,false", "true,1,state,false",
        "true,1,tap0,false", "false,0,delivery,false", "false,0,state,false", "false,2,delivery,false",
        "false,2,state,false", "false,2,tap0,false", "false,2,tap1,false",
        "true,0,delivery,true", "true,0,state,true", "true,1,delivery,true", "true,1,state,true",
        "true,1,tap0,true", "false,0,delivery,true", "false,0,state,true", "false,2,delivery,true",
        "false,2,state,true", "false,2,tap0,true", "false,2,tap1,true"})
    void burstOfLargeFramesIsReleasedOnceConsumed(boolean afterState, int taps, String slow, boolean idle) throws Exception {
        CountDownLatch open = new CountDownLatch(1);
        AtomicInteger wrong = new AtomicInteger();
        AtomicInteger seen = new AtomicInteger();
        AtomicInteger othersSeen = new AtomicInteger();
        EventHandler<Dispatch> delivery = keeper("delivery", slow, wrong, seen, othersSeen, open);
        EventHandler<Dispatch> state = keeper("state", slow, wrong, seen, othersSeen, open);
        List<EventHandler<Dispatch>> tapList = new ArrayList<>();
        for (int i = 0; i < taps; i++) {
            tapList.add(keeper("tap" + i, slow, wrong, seen, othersSeen, open));
        }
        // the consumers not behind the slow one (delivery and the taps come after state) pass the burst meanwhile
        int passing = !slow.equals("state") ? 1 + taps : afterState ? 0 : 1;
        EventRing ring = new EventRing(SLOTS, state, delivery, afterState, tapList, idle ? Integer.MAX_VALUE : 0);
        try {
            assertEquals(0, ring.retainedBytes(), "a fresh ring holds no buffers: a slot gets one at first use");
            for (int i = 0; i < BURST; i++) {
                byte[] f = frame(i, i % 4 == 0 ? 200 : LARGE + i);
                ring.publish(i % 4, null, i + 1, "GUILD_CREATE", 0, f, 0, f.length, System.nanoTime());
            }
            awaitTrue(() -> othersSeen.get() == passing * BURST, () -> othersSeen.get() + " seen by the others");
            // two of the reclaimer's longest pauses: one not waiting for the slow consumer would have dropped frames
            LockSupport.parkNanos(3 * SlotReclaimer.MAX_PAUSE_NANOS);
            long held = ring.retainedBytes();
            assertTrue(held >= (long) (BURST * 3 / 4) * LARGE, "while unconsumed the large frames are counted: " + held);
            open.countDown();
            awaitTrue(() -> seen.get() == BURST && ring.backlog() == 0, () -> seen.get() + " seen, backlog " + ring.backlog());
            long small = idle ? 0 : (long) (BURST / 4) * 1024;
            awaitTrue(() -> ring.retainedBytes() == small, () -> "ring holds " + ring.retainedBytes() + " bytes, expected " + small);
            assertEquals(0, wrong.get(), "every consumer read every frame of its batch whole at the batch's end");
            assertEquals(small, ring.retainedBytes(), idle ? "idle, the ring holds nothing after the burst"
                    : "after the burst the ring holds only the small frames' buffers");

            // small frames after the burst: every slot gets a buffer of at most SLOT_BYTES, kept unless idle
            for (int i = 0; i < SLOTS * 2; i++) {
                byte[] f = frame(i, i < SLOTS ? Dispatch.SLOT_BYTES : 100); // the kept buffer does not shrink
                ring.publish(0, null, i + 1, "MESSAGE_CREATE", 0, f, 0, f.length, System.nanoTime());
            }
            awaitTrue(() -> seen.get() == BURST + SLOTS * 2 && ring.backlog() == 0, () -> seen.get() + " seen, backlog " + ring.backlog());
            assertEquals(0, wrong.get());
            long bound = idle ? 0 : (long) SLOTS * Dispatch.SLOT_BYTES;
            awaitTrue(() -> ring.retainedBytes() == bound, () -> "ring holds " + ring.retainedBytes() + " bytes, expected " + bound);
            assertEquals(0, wrong.get(), "no consumer saw a dropped buffer");
        } finally {
            open.countDown();
            ring.shutdown(5_000);
        }
    }

    /**
     * With the default idle rate, a trickle (a few frames, far under it in any window of the reclaimer) leaves the
     * ring holding nothing once passed, while a ring that never finds itself idle keeps a buffer per slot used.
     */
    @Test
    void trickleLeavesNothingKeptByDefault() {
        AtomicInteger wrong = new AtomicInteger();
        AtomicInteger seen = new AtomicInteger();
        CountDownLatch none = new CountDownLatch(0);
        EventRing ring = new EventRing(SLOTS, new BatchKeeper(wrong, seen, none), new BatchKeeper(wrong, seen, none), true);
        try {
            int trickle = 16; // at most 160 slots a second over a window of at least 100 ms: idle
            for (int i = 0; i < trickle; i++) {
                byte[] f = frame(i, 700);
                ring.publish(0, null, i + 1, "MESSAGE_CREATE", 0, f, 0, f.length, System.nanoTime());
            }
            awaitTrue(() -> seen.get() == 2 * trickle && ring.backlog() == 0, () -> seen.get() + " seen, backlog " + ring.backlog());
            awaitTrue(() -> ring.retainedBytes() == 0, () -> "ring holds " + ring.retainedBytes() + " bytes after a trickle");
            assertEquals(0, wrong.get(), "no consumer saw a dropped buffer");
        } finally {
            ring.shutdown(5_000);
        }
    }

    @Test
    void idleIsUnderTheRate() {
        assertTrue(SlotReclaimer.idle(0, SlotReclaimer.WINDOW_NANOS, 1000), "nothing passed");
        assertTrue(SlotReclaimer.idle(99, 100_000_000, 1000), "990 a second");
        assertFalse(SlotReclaimer.idle(100, 100_000_000, 1000), "1000 a second is not under 1000");
        assertFalse(SlotReclaimer.idle(0, 100_000_000, 0), "rate 0: never idle");
        assertTrue(SlotReclaimer.idle(1_000_000, 100_000_000, Integer.MAX_VALUE), "the largest rate: always idle");
    }

    /** The slow consumer counts in {@code seen} and waits for {@code open}; the others count in {@code othersSeen}. */
    private static BatchKeeper keeper(String name, String slow, AtomicInteger wrong, AtomicInteger seen, AtomicInteger othersSeen,
                                      CountDownLatch open) {
        return name.equals(slow) ? new BatchKeeper(wrong, seen, open) : new BatchKeeper(wrong, othersSeen, new CountDownLatch(0));
    }

    private static void awaitTrue(BooleanSupplier condition, java.util.function.Supplier<String> state) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "not reached within 10 s: " + state.get());
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** A consumer that keeps the slots of its batch and checks them all at the batch's end. */
    private static final class BatchKeeper implements EventHandler<Dispatch> {
        private final List<Dispatch> batch = new ArrayList<>();
        private final AtomicInteger wrong;
        private final AtomicInteger seen;
        private final CountDownLatch open;

        BatchKeeper(AtomicInteger wrong, AtomicInteger seen, CountDownLatch open) {
            this.wrong = wrong;
            this.seen = seen;
            this.open = open;
        }

        @Override
        public void onEvent(Dispatch d, long sequence, boolean endOfBatch) throws Exception {
            open.await(); // the slow keeper holds the burst in the ring until the test has counted it
            batch.add(d);
            if (endOfBatch) {
                LockSupport.parkNanos(2_000_000); // longer than the reclaimer's pause: a release too early would show
                for (Dispatch kept : batch) {
                    check(kept, wrong);
                }
                seen.addAndGet(batch.size());
                batch.clear();
            }
        }
    }

    /** A frame whose bytes say which one it is: {@code {"i":N,"pad":"xxxx..."}} of exactly {@code size} bytes. */
    private static byte[] frame(int i, int size) {
        byte[] head = ("{\"i\":" + i + ",\"pad\":\"").getBytes(StandardCharsets.US_ASCII);
        byte[] f = new byte[size];
        Arrays.fill(f, (byte) ('a' + i % 26));
        System.arraycopy(head, 0, f, 0, head.length);
        f[size - 2] = '"';
        f[size - 1] = '}';
        return f;
    }

    private static void check(Dispatch d, AtomicInteger wrong) {
        byte[] expected = frame((int) d.seq() - 1, d.length());
        if (d.length() == 0 || !Arrays.equals(expected, 0, expected.length, d.payload(), 0, d.length())) {
            wrong.incrementAndGet();
        }
    }
}
