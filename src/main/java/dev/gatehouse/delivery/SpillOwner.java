package dev.gatehouse.delivery;

import dev.gatehouse.pipeline.DirectoryLock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * This process's hold on the spill directory ({@code delivery.spillDir}), taken at start before the lanes open their
 * spills: an exclusive lock on its {@code lock} file (two processes appending to the same segments would corrupt both
 * spills), and the spill's owner, the bot's application id and the database's identity, in its {@code owner} file
 * ({@code application <id> on database <identity>}). A spill another bot wrote is set aside in {@code foreign-<time>/},
 * never delivered to this bot: its events are another bot's. A spill this bot wrote against another database
 * (PostgreSQL replaced by an empty one, or {@code db.url} changed) is delivered as usual, with a warning: its events are
 * still this bot's, which it has not had, and holding them back would lose them for it.
 */
public final class SpillOwner implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SpillOwner.class.getName());
    static final String LOCK_FILE = DirectoryLock.LOCK_FILE;
    static final String OWNER_FILE = "owner";
    private static final DateTimeFormatter ASIDE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final DirectoryLock lock;

    private SpillOwner(DirectoryLock lock) {
        this.lock = lock;
    }

    /**
     * Locks {@code dir} for this process and makes its spill {@code owner}'s (text naming the application id and the
     * database), setting a spill that holds another owner's events aside.
     *
     * @throws IllegalArgumentException naming delivery.spillDir and the lock file when another process (or another
     *                                  Gatehouse in this JVM) holds the lock, or when the directory cannot be used
     */
    public static SpillOwner claim(Path dir, String owner) {
        SpillOwner claimed = new SpillOwner(DirectoryLock.claim(dir, "delivery.spillDir"));
        try {
            claimed.own(dir, owner);
        } catch (IOException | RuntimeException e) {
            claimed.close();
            throw e instanceof IllegalArgumentException iae ? iae : new IllegalArgumentException("delivery.spillDir " + dir
                    + " cannot be used: its owner file " + dir.resolve(OWNER_FILE) + ": " + e.getMessage(), e);
        }
        return claimed;
    }

    private void own(Path dir, String owner) throws IOException {
        Path file = dir.resolve(OWNER_FILE);
        String before = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : "";
        if (!before.equals(owner)) {
            List<Path> lanes = lanes(dir);
            if (before.isEmpty()) {
                if (holdsEvents(lanes)) {
                    LOG.log(System.Logger.Level.INFO, "delivery spill: " + dir + " names no owner (written before spills recorded"
                            + " theirs); taking its events as " + owner + "'s");
                }
            } else if (application(before).equals(application(owner))) {
                if (holdsEvents(lanes)) {
                    LOG.log(System.Logger.Level.WARNING, "delivery spill: " + dir + " holds events of this bot written for " + before
                            + ", not " + owner + " (the database was replaced or db.url changed): delivering them, they are"
                            + " this bot's");
                }
            } else if (holdsEvents(lanes)) {
                Path aside = dir.resolve("foreign-" + ASIDE.format(Instant.now()));
                Files.createDirectories(aside);
                List<Path> moved = new ArrayList<>(lanes);
                moved.add(dir.resolve("lanes"));
                moved.add(file);
                for (Path p : moved) {
                    if (Files.exists(p)) {
                        Files.move(p, aside.resolve(p.getFileName()), StandardCopyOption.ATOMIC_MOVE);
                    }
                }
                LOG.log(System.Logger.Level.WARNING, "delivery spill: " + dir + " holds events written for " + before + ", not for "
                        + owner + " (another bot): set aside in " + aside
                        + ", not delivered; deliver or delete it by hand");
            }
            Path tmp = dir.resolve(OWNER_FILE + ".tmp");
            Files.writeString(tmp, owner + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** The bot an owner text names: its part before " on database ". */
    private static String application(String owner) {
        int at = owner.indexOf(" on database ");
        return at < 0 ? owner : owner.substring(0, at);
    }

    private static List<Path> lanes(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> Files.isDirectory(p) && p.getFileName().toString().matches("lane-\\d+")).sorted().toList();
        }
    }

    private static boolean holdsEvents(List<Path> lanes) {
        for (Path lane : lanes) {
            try (Spill s = new Spill(lane)) {
                if (!s.isEmpty()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Releases the directory (at stop, after the lanes closed their spills). */
    @Override
    public void close() {
        lock.close();
    }
}
