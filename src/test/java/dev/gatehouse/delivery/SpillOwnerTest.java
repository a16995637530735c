package dev.gatehouse.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spill directory is one process's and one bot's: other processes are refused, other bots' spills set aside. */
class SpillOwnerTest {
    private static final String OURS = "application 1 on database aaa";
    private static final String THEIRS = "application 2 on database bbb";

    @TempDir
    Path dir;

    private void spillOneEvent(Path lane) {
        try (Spill s = new Spill(lane)) {
            s.append(new Pending(1, 0, "session", 7, "MESSAGE_CREATE", "{}".getBytes(StandardCharsets.UTF_8), 0, -1, ""));
            s.sync();
        }
    }

    private static boolean empty(Path lane) {
        try (Spill s = new Spill(lane)) {
            return s.isEmpty();
        }
    }

    @Test
    void aSecondGatehouseOnTheSameDirectoryIsRefusedNamingTheLockFile() {
        try (SpillOwner first = SpillOwner.claim(dir, OURS)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpillOwner.claim(dir, OURS));
            assertTrue(e.getMessage().contains("delivery.spillDir " + dir + " is in use"), e.getMessage());
            assertTrue(e.getMessage().contains("lock file " + dir.resolve("lock")), e.getMessage());
        }
        SpillOwner.claim(dir, OURS).close(); // released at close: a restart takes it again
    }

    @Test
    void aSpillOfAnotherBotIsSetAsideNotDelivered() throws Exception {
        try (SpillOwner theirs = SpillOwner.claim(dir, THEIRS)) {
            spillOneEvent(dir.resolve("lane-0"));
        }
        try (SpillOwner ours = SpillOwner.claim(dir, OURS)) {
            assertFalse(Files.exists(dir.resolve("lane-0")) && !empty(dir.resolve("lane-0")), "their event is not in our lane");
            List<Path> aside;
            try (var files = Files.list(dir)) {
                aside = files.filter(p -> p.getFileName().toString().startsWith("foreign-")).toList();
            }
            assertEquals(1, aside.size(), "set aside once");
            assertFalse(empty(aside.get(0).resolve("lane-0")), "their event is kept, aside");
            assertEquals(THEIRS, Files.readString(aside.get(0).resolve("owner")).strip());
            assertEquals(OURS, Files.readString(dir.resolve("owner")).strip());
        }
    }

    @Test
    void ourOwnSpillWrittenAgainstAnotherDatabaseIsKept() {
        try (SpillOwner before = SpillOwner.claim(dir, "application 1 on database old")) {
            spillOneEvent(dir.resolve("lane-0"));
        }
        SpillOwner.claim(dir, OURS).close(); // the same bot, its PostgreSQL replaced by an empty one
        assertFalse(empty(dir.resolve("lane-0")), "this bot's events stay in its lane, to be delivered");
    }

    @Test
    void ourOwnSpillAndOneThatNamesNoOwnerAreKept() {
        spillOneEvent(dir.resolve("lane-0")); // written before spills recorded their owner
        SpillOwner.claim(dir, OURS).close();
        assertFalse(empty(dir.resolve("lane-0")));
        SpillOwner.claim(dir, OURS).close();
        assertFalse(empty(dir.resolve("lane-0")), "a restart of the same bot on the same database keeps its spill");
    }

    @Test
    void anEmptyLaneCountFileIsNamedWithWhatHappened() throws Exception {
        Files.writeString(dir.resolve("lanes"), ""); // a process stopped while writing it
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DeliveryBuffer(2, 100, 1 << 20, dir, 1 << 20, Overflow.BLOCK));
        assertTrue(e.getMessage().contains("lane-count file " + dir.resolve("lanes") + " holds \"\", not a number"), e.getMessage());
        assertFalse(e.getMessage().contains("For input string"), e.getMessage());
    }
}
