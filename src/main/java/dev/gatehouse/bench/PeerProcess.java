package dev.gatehouse.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child process that speaks the peers bench's line protocol: commands on its standard input, one flat JSON
 * object per line on its standard output (other lines are passed through to our standard error, prefixed).
 */
final class PeerProcess implements AutoCloseable {
    private static final JsonFactory JSON = new JsonFactory();

    private final String name;
    private final Process process;
    private final BlockingQueue<Map<String, String>> lines = new LinkedBlockingQueue<>();

    PeerProcess(String name, ProcessBuilder builder) throws IOException {
        this.name = name;
        this.process = builder.redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Thread.ofPlatform().daemon(true).name(name + "-stdout").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Map<String, String> m = parse(line);
                    if (m == null) {
                        System.err.println(name + ": " + line);
                    } else if ("error".equals(m.get("event"))) {
                        System.err.println(name + " error: " + line);
                    } else {
                        lines.add(m);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
    }

    long pid() {
        return process.pid();
    }

    /** Whether the process is still running. */
    boolean alive() {
        return process.isAlive();
    }

    /** Sends a command line. */
    void send(String command) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** The next line whose {@code event} is {@code event}; earlier other lines are dropped. */
    Map<String, String> await(String event, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            long left = deadline - System.nanoTime();
            Map<String, String> m = lines.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (m == null) {
                throw new IllegalStateException(name + " said no '" + event + "' within " + seconds + " s"
                        + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")"));
            }
            if (event.equals(m.get("event"))) {
                return m;
            }
        }
    }

    /** A flat JSON object's members as strings, or null when the line is not one. */
    private static Map<String, String> parse(String line) {
        if (!line.startsWith("{")) {
            return null;
        }
        try (JsonParser p = JSON.createParser(line)) {
            p.nextToken();
            Map<String, String> m = new HashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String k = p.currentName();
                p.nextToken();
                m.put(k, p.getText());
                p.skipChildren();
            }
            return m;
        } catch (IOException e) {
            return null;
        }
    }

    /** Closes its standard input, then ends it if it has not ended within {@code seconds}. */
    void stop(long seconds) throws InterruptedException {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // already gone
        }
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroy();
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** Asks it to stop with SIGTERM (a JVM runs its shutdown hooks), waiting up to {@code seconds}. */
    void terminate(long seconds) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            terminate(20);
        }
    }
}
