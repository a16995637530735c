package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.sim.SimSetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gatehouse fed by a replayed capture (the real Discord payloads of {@code shared/fixtures/discord-v10}, as a
 * directory of JSON files): PostgreSQL holds exactly the captured guilds, channels, roles and members, and every
 * replayed dispatch reaches the bot once, in order.
 */
class ReplayEndToEndTest {
    private static final Path FIXTURES = Path.of("..", "shared", "fixtures", "discord-v10");
    /** The fixtures' op 0 payloads other than READY and GUILD_CREATE. */
    private static final long CAPTURED_TRAFFIC = 18;

    @TempDir
    Path capture;

    @Test
    void aCaptureIsStoredAndDeliveredAsRecorded() throws Exception {
        try (Stream<Path> files = Files.list(FIXTURES)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("gateway_")).toList()) {
                Files.copy(f, capture.resolve(f.getFileName()));
            }
        }
        try (Harness h = new Harness(Harness.world(2, 0, 50), SimSetup.NONE.withReplay(capture),
                // every intent: the capture holds reactions and typing, which Discord (and the simulator) filter by intent
                "--intents=" + dev.gatehouse.discord.Intent.all())) {
            h.awaitLoaded();
            assertEquals(2L, (long) h.sim.onWorld(w -> (long) w.guildIds().size()), "the capture's two guilds");
            Harness.await("the captured guilds in PostgreSQL", 30_000, () -> {
                try {
                    return h.count("SELECT count(*) FROM guilds WHERE left_at IS NULL AND NOT unavailable") == 2;
                } catch (java.sql.SQLException e) {
                    return false;
                }
            }, () -> "not yet");
            h.assertDatabaseEqualsWorld();
            long before = h.sim.dispatched();
            h.sim.startTraffic();
            Harness.await("the capture's traffic to be replayed", 30_000,
                    () -> h.sim.dispatched() == before + CAPTURED_TRAFFIC, () -> "sent " + (h.sim.dispatched() - before));
            Thread.sleep(300);
            h.sim.stopTraffic();
            assertEquals(before + CAPTURED_TRAFFIC, h.sim.dispatched(), "the capture plays once");
            h.awaitDelivered();
            h.assertExactlyOnceInOrder();
        }
    }
}
