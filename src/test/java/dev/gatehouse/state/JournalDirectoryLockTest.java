package dev.gatehouse.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.pipeline.DirectoryLock;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state journal's directory is one process's: a second process configured with the same state.journalDir
 * stops at start, naming the key, the lock file and the holder's pid, and leaves the holder's segments alone (the
 * journal empties its directory at start, which would otherwise delete the running process's unstored events).
 */
class JournalDirectoryLockTest {
    @TempDir
    Path dir;

    /** Holds the lock of the directory in args[0] until its stdin closes: another process, for the test. */
    public static void main(String[] args) throws Exception {
        try (DirectoryLock held = DirectoryLock.claim(Path.of(args[0]), "state.journalDir")) {
            System.out.println("locked");
            System.out.flush();
            System.in.read();
        }
    }

    @Test
    void aSecondProcessOnTheSameJournalDirectoryIsRefusedAndDeletesNothing() throws Exception {
        Path segment = dir.resolve("00000000000000000000.seg");
        Files.write(segment, new byte[] {1, 2, 3});
        Process holder = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), JournalDirectoryLockTest.class.getName(), dir.toString()))
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine(), "the holder process took the lock");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new StateJournal(null, dir, 1 << 20));
            assertTrue(e.getMessage().contains("state.journalDir " + dir + " is in use: another process (pid " + holder.pid() + ")"),
                    e.getMessage());
            assertTrue(e.getMessage().contains(dir.resolve("lock").toString()), e.getMessage());
            assertTrue(Files.exists(segment), "the holder's segment is left alone");
        } finally {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        DirectoryLock.claim(dir, "state.journalDir").close(); // released when the holder stopped: a restart takes it
    }

    @Test
    void aSecondClaimInTheSameProcessIsRefusedUntilTheFirstIsReleased() {
        DirectoryLock first = DirectoryLock.claim(dir, "state.journalDir");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DirectoryLock.claim(dir, "state.journalDir"));
        assertTrue(e.getMessage().contains("another Gatehouse in this JVM") && e.getMessage().contains("state.journalDir"), e.getMessage());
        first.close();
        first.close(); // a second release does nothing
        DirectoryLock.claim(dir, "state.journalDir").close();
    }
}
