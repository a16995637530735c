package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.shard.ShardStatus;
import org.junit.jupiter.api.Test;

/**
 * Commands to a shard: those issued before it is READY wait and go out after READY; a burst larger than
 * Discord's 120-per-60-s send limit goes out up to the limit (minus the room kept for heartbeats) and the rest
 * waits, so the gateway never closes the shard with 4008.
 */
class CommandTest {
    private static final String PRESENCE = "{\"op\":3,\"d\":{\"since\":null,\"activities\":[],\"status\":\"online\",\"afk\":false}}";

    @Test
    void commandsWaitForReadyAndStayWithinTheSendLimit() throws Exception {
        try (Harness h = new Harness(Harness.world(1, 20, 0))) {
            for (int i = 0; i < 150; i++) {
                assertTrue(h.gatehouse.shards().command(0, PRESENCE).get(), "command " + i + " queued");
            }
            h.awaitLoaded();
            Harness.await("the commands within the limit to arrive", 30_000, () -> h.sim.commandsReceived() >= 100,
                    () -> h.sim.commandsReceived() + " received");
            Thread.sleep(1_000); // nothing more may come before slots free up in 60 s
            ShardStatus s = h.gatehouse.shards().statuses().get(0);
            long received = h.sim.commandsReceived();
            assertEquals(150, received + s.commandsQueued(), "every command sent or still queued: " + s);
            assertTrue(received <= 116, received + " commands sent in the first minute; the limit leaves 116 after heartbeats");
            assertTrue(s.commandsQueued() >= 34, "the rest waits: " + s);
            assertTrue(s.ready() && s.resumes() == 0 && s.lastCloseCode() == -1, "never closed with 4008: " + s);
        }
    }

    @Test
    void aShardThisProcessDoesNotRunIsRefusedByName() throws Exception {
        try (Harness h = new Harness(Harness.world(1, 20, 0))) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> h.gatehouse.shards().command(7, PRESENCE));
            assertTrue(e.getMessage().contains("shard 7"), e.getMessage());
        }
    }
}
