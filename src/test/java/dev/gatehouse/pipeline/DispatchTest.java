package dev.gatehouse.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A slot keeps its small buffer across a large frame, so steady traffic after a GUILD_CREATE allocates nothing. */
class DispatchTest {

    private static byte[] filled(int length, char c) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) c);
        return b;
    }

    private static void put(Dispatch d, byte[] frame) {
        d.set(0, null, 1, "MESSAGE_CREATE", 0, GuildKind.NONE, frame, 0, frame.length, 0);
    }

    @Test
    void aLargeFrameDoesNotReplaceTheKeptSmallBuffer() {
        Dispatch d = new Dispatch();
        byte[] small = filled(2000, 's');
        put(d, small);
        byte[] kept = d.payload();
        assertEquals(2000, d.length());

        byte[] large = filled(Dispatch.SLOT_BYTES * 3, 'L');
        put(d, large);
        assertArrayEquals(large, Arrays.copyOf(d.payload(), d.length()), "the large frame as it arrived");
        assertEquals(kept.length + large.length, d.retainedBytes());

        d.release(false);
        assertEquals(kept.length, d.retainedBytes(), "after release only the small buffer is held");
        put(d, small);
        assertSame(kept, d.payload(), "the next small frame goes into the same kept buffer");
        assertArrayEquals(small, Arrays.copyOf(d.payload(), d.length()));

        put(d, large); // overwritten before the reclaimer ran: the large array goes with the next small frame
        put(d, small);
        assertSame(kept, d.payload());
        assertEquals(kept.length, d.retainedBytes());
    }

    @Test
    void anIdleReleaseDropsTheKeptBufferAndTheNextFrameGetsANewOne() {
        Dispatch d = new Dispatch();
        byte[] small = filled(700, 's');
        put(d, small);
        d.release(true);
        assertEquals(0, d.retainedBytes(), "idle: the slot holds nothing once passed");
        assertEquals(0, d.length(), "a released slot holds no frame");
        put(d, small);
        assertArrayEquals(small, Arrays.copyOf(d.payload(), d.length()), "the next frame whole in a new buffer");
        assertEquals(1024, d.retainedBytes(), "a first buffer again");

        byte[] large = new byte[Dispatch.SLOT_BYTES * 2];
        put(d, large);
        d.release(true);
        assertEquals(0, d.retainedBytes(), "idle: neither the large frame nor the kept buffer stays");
    }
}
