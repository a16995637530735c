package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The status page rendered by a real headless Chromium (Debian's package, installed here when missing): its script
 * fetches {@code /status} and draws one cell per shard, coloured by state, with the right counts.
 */
class StatusPageTest {

    /** The Chromium binary, installing Debian's package when it is missing and this process may (root, apt-get). */
    static Optional<String> chromium() throws Exception {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            Optional<String> found = which(name);
            if (found.isPresent()) {
                return found;
            }
        }
        if (which("apt-get").isEmpty()) {
            return Optional.empty();
        }
        System.err.println("StatusPageTest: installing Debian's chromium package (apt-get install -y chromium)");
        run(List.of("sh", "-c", "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium"), 900);
        return which("chromium");
    }

    private static Optional<String> which(String name) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "command -v " + name).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return p.waitFor() == 0 && !out.isEmpty() ? Optional.of(out) : Optional.empty();
    }

    private static String run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Path out = Files.createTempFile("gatehouse-chromium", ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(false).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        Files.deleteIfExists(out);
        return text;
    }

    /** The page's DOM after its script ran, as a headless Chromium renders it. */
    static String render(String browser, String url) throws Exception {
        Path profile = Files.createTempDirectory("gatehouse-chromium-profile");
        try {
            return run(List.of(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=15000", "--dump-dom", url), 120);
        } finally {
            TestPostgres.delete(profile);
        }
    }

    @Test
    void withASecretThePageAsksForItAndShowsNothingElse() throws Exception {
        Optional<String> browser = chromium();
        Assumptions.assumeTrue(browser.isPresent(), "no Chromium, and Debian's package could not be installed: status page not rendered");
        int port = ApiClient.freePort();
        try (Harness h = new Harness(Harness.world(2, 6, 0), "--api.port=" + port, "--api.secret=page-secret")) {
            h.awaitLoaded();
            String dom = "";
            for (int attempt = 0; attempt < 3 && !dom.contains("id=\"login\" style=\"display: block;\""); attempt++) {
                dom = render(browser.get(), "http://127.0.0.1:" + port + "/");
            }
            assertTrue(dom.contains("id=\"login\" style=\"display: block;\""), "the secret is asked for: "
                    + dom.substring(0, Math.min(800, dom.length())));
            assertTrue(!dom.contains("class=\"shard "), "no shard shown without the secret");
            assertTrue(dom.contains("<span id=\"shard-count\">0</span>"));
        }
    }

    @Test
    void theStatusPageShowsEveryShardInARealBrowser() throws Exception {
        Optional<String> browser = chromium();
        Assumptions.assumeTrue(browser.isPresent(), "no Chromium, and Debian's package could not be installed: status page not rendered");
        int port = ApiClient.freePort();
        try (Harness h = new Harness(Harness.world(3, 12, 20), "--api.port=" + port)) {
            h.awaitLoaded();
            String dom = "";
            for (int attempt = 0; attempt < 3 && !dom.contains("class=\"shard "); attempt++) {
                dom = render(browser.get(), "http://127.0.0.1:" + port + "/");
            }
            assertTrue(dom.contains("id=\"grid\""), "the page: " + dom.substring(0, Math.min(500, dom.length())));
            Matcher cells = Pattern.compile("<div class=\"shard (\\w+)\" data-shard=\"(\\d+)\"").matcher(dom);
            List<String> states = new ArrayList<>();
            while (cells.find()) {
                states.add(cells.group(2) + ":" + cells.group(1));
            }
            assertEquals(List.of("0:READY", "1:READY", "2:READY"), states, "one cell per shard, coloured by state");
            assertTrue(dom.contains("<span id=\"shard-count\">3</span>"), "shard count");
            assertTrue(dom.contains("<span id=\"shard-ready\">3</span>"), "ready count");
            assertTrue(dom.contains("database reachable"), "database badge");
            assertTrue(dom.contains("<polyline"), "the events/s graph");
            assertTrue(dom.contains("<span id=\"reshard\">idle</span>"), "where resharding stands");
        }
    }
}
