package dev.gatehouse.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.lmax.disruptor.EventHandler;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ring's slots do not pin the largest frame they held: a burst of large GUILD_CREATE-sized frames is held
 * while the consumers have not finished with it, and let go of once every last consumer has, whatever the
 * wiring (delivery after state or beside it, with or without taps). Every consumer sees every frame whole.
 */
class EventRingMemoryTest {
    private static final int SLOTS = 1024;
    private static final int BURST = 64;
    private static final int LARGE = 300_000;

    @ParameterizedTest(name = "deliveryAfterState={0}, taps={1}")
    @CsvSource({"true,0", "true,1", "false,0", "false,2"})
    void burstOfLargeFramesIsReleasedOnceConsumed(boolean afterState, int taps) throws Exception {
        CountDownLatch open = new CountDownLatch(1);
        AtomicInteger wrong = new AtomicInteger();
        AtomicInteger seen = new AtomicInteger();
        EventHandler<Dispatch> delivery = (d, s, end) -> {
            open.await(); // holds the burst in the ring until the test has counted it
            check(d, wrong);
            seen.incrementAndGet();
        };
        EventHandler<Dispatch> state = (d, s, end) -> check(d, wrong);
        List<EventHandler<Dispatch>> tapList = java.util.stream.IntStream.range(0, taps)
                .<EventHandler<Dispatch>>mapToObj(i -> (d, s, end) -> check(d, wrong)).toList();
        EventRing ring = new EventRing(SLOTS, state, delivery, afterState, tapList);
        try {
            long empty = ring.retainedBytes();
            assertEquals(SLOTS * 1024L, empty, "a fresh ring holds one 1 KiB buffer per slot");
            for (int i = 0; i < BURST; i++) {
                byte[] f = frame(i, i % 4 == 0 ? 200 : LARGE + i);
                ring.publish(i % 4, null, i + 1, "GUILD_CREATE", 0, f, 0, f.length, System.nanoTime());
            }
            long held = ring.retainedBytes();
            assertTrue(held >= empty + (long) (BURST * 3 / 4) * LARGE,
                    "while unconsumed the large frames are counted: " + held);
            open.countDown();
            while (seen.get() < BURST || ring.backlog() > 0) {
                LockSupport.parkNanos(1_000_000);
            }
            assertEquals(0, wrong.get(), "every consumer read every frame whole");
            assertEquals(empty, ring.retainedBytes(), "after the burst the ring holds only its slots' own buffers");
            // small frames after the burst reuse the slot buffers: they grow to at most SLOT_BYTES each
            for (int i = 0; i < SLOTS * 2; i++) {
                byte[] f = frame(i, Dispatch.SLOT_BYTES);
                ring.publish(0, null, i + 1, "MESSAGE_CREATE", 0, f, 0, f.length, System.nanoTime());
            }
            while (seen.get() < BURST + SLOTS * 2 || ring.backlog() > 0) {
                LockSupport.parkNanos(1_000_000);
            }
            assertEquals(0, wrong.get());
            assertEquals((long) SLOTS * Dispatch.SLOT_BYTES, ring.retainedBytes(), "bounded by slots x SLOT_BYTES");
        } finally {
            open.countDown();
            ring.shutdown(5_000);
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
        if (!Arrays.equals(expected, 0, expected.length, d.payload(), 0, d.length())) {
            wrong.incrementAndGet();
        }
    }
}
