package dev.gatehouse.pipeline;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One process's hold on a directory a ring consumer keeps its durable queue in (the delivery spill, the state
 * journal): an exclusive lock on the directory's {@code lock} file, which also names the holder's pid. Two processes
 * appending to (or, at start, emptying) the same files would corrupt or lose each other's events, so the second one
 * stops at start, naming the key that configures the directory, the lock file and the holder.
 */
public final class DirectoryLock implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DirectoryLock.class.getName());
    public static final String LOCK_FILE = "lock";

    private final String key;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean released;

    private DirectoryLock(String key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dir} (created when missing) for this process.
     *
     * @param key the configuration key that names the directory, for the errors
     * @throws IllegalArgumentException naming {@code key}, the directory and the lock file when another process (or
     *                                  another Gatehouse in this JVM) holds it, or when it cannot be used
     */
    public static DirectoryLock claim(Path dir, String key) {
        Path lockFile = dir.resolve(LOCK_FILE);
        FileChannel channel;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + " " + dir + " cannot be used: cannot open its lock file " + lockFile
                    + ": " + e.getMessage(), e);
        }
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw inUse(key, dir, lockFile, "another Gatehouse in this JVM");
            }
            if (lock == null) {
                throw inUse(key, dir, lockFile, "another process" + holder(channel));
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new DirectoryLock(key, channel, lock);
        } catch (IOException e) {
            close(channel);
            throw new IllegalArgumentException(key + " " + dir + " cannot be used: cannot lock " + lockFile + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(channel);
            throw e;
        }
    }

    private static IllegalArgumentException inUse(String key, Path dir, Path lockFile, String who) {
        return new IllegalArgumentException(key + " " + dir + " is in use: " + who + " holds its lock file " + lockFile
                + "; give each Gatehouse process its own " + key);
    }

    /** ", pid N" from the lock file the holder wrote, when it can be read. */
    private static String holder(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            channel.read(b, 0);
            String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
            return pid.matches("\\d{1,19}") ? " (pid " + pid + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void close(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing releases the lock either way
        }
    }

    /** Releases the directory (at stop, after its files were closed); a second call does nothing. */
    @Override
    public synchronized void close() {
        if (released) {
            return;
        }
        released = true;
        try {
            lock.release();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, key + ": cannot release the lock file: " + e.getMessage());
        }
        close(channel);
    }
}
