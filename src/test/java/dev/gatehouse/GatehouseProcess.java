package dev.gatehouse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Gatehouse in a JVM of its own ({@code dev.gatehouse.Main} on the test classpath), as an operator runs it:
 * for tests that kill it without a graceful shutdown, or run two of them side by side.
 */
final class GatehouseProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    /** Starts {@code Main run} with an empty config file and the given {@code --key=value} settings. */
    GatehouseProcess(String name, List<String> settings) throws IOException {
        log = Files.createTempFile("gatehouse-" + name + "-", ".log");
        log.toFile().deleteOnExit();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.gatehouse.Main", "run",
                "--config=" + Harness.emptyConfig(), "--status.intervalSeconds=0", "--api.port=0"));
        cmd.addAll(Harness.FAST_RETRIES);
        cmd.addAll(settings);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The settings that point a process at this simulator, bot and database. */
    static List<String> settings(String token, String restUrl, TestBot bot, String jdbcUrl) {
        return new ArrayList<>(List.of("--discord.token=" + token, "--rest.url=" + restUrl,
                "--eventHandler.url=" + bot.url(), "--eventHandler.secret=test-secret",
                "--db.url=" + jdbcUrl, "--db.user=" + TestPostgres.server().user(),
                "--delivery.spillDir=" + Harness.spillDir(jdbcUrl), "--state.journalDir=" + Harness.journalDir(jdbcUrl), "--filters.editedMessages=false"));
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook, no flush, no close frame; the sockets just drop. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, the graceful stop; returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            return -1;
        }
        return process.exitValue();
    }

    /** The process's output so far, for failure messages. */
    String output() {
        try {
            String all = Files.readString(log, StandardCharsets.UTF_8);
            return all.length() > 6000 ? "..." + all.substring(all.length() - 6000) : all;
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /** Lines of the output containing {@code text}. */
    long linesContaining(String text) {
        try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.contains(text)).count();
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
