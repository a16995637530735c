package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code gatehouse reshard} reaches the API where api.bind puts it, and refuses a malformed --shards. */
class ReshardCommandTest {

    @Test
    void wildcardBindsAreReachedOnLoopbackAndIpv6LiteralsInBrackets() {
        assertEquals("127.0.0.1", ReshardCommand.host("0.0.0.0"));
        assertEquals("[::1]", ReshardCommand.host("::"));
        assertEquals("[::1]", ReshardCommand.host("[::]"));
        assertEquals("[::1]", ReshardCommand.host("::1"));
        assertEquals("[fd00::5]", ReshardCommand.host("fd00::5"));
        assertEquals("127.0.0.2", ReshardCommand.host("127.0.0.2"));
        assertEquals("gatehouse.internal", ReshardCommand.host("gatehouse.internal"));
    }

    /** A real socket on 127.0.0.2 (nothing listens on 127.0.0.1 at that port): the command must POST there. */
    @Test
    void theCommandPostsToTheBoundAddress() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.2", 0), 0);
        AtomicReference<String> got = new AtomicReference<>("");
        server.createContext("/reshard", x -> {
            got.set(x.getRequestMethod() + " " + new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] body = "{\"phase\":\"connecting\",\"to_shards\":4}".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(202, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        try {
            int port = server.getAddress().getPort();
            String[] r = run("--shards=4", "--api.bind=127.0.0.2", "--api.port=" + port);
            assertEquals("0", r[0], r[1]);
            assertTrue(r[1].contains("http://127.0.0.2:" + port + "/reshard") && r[1].contains("HTTP 202"), r[1]);
            assertEquals("POST {\"shards\":4}", got.get());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void anEmptyShardsValueIsABadArgumentNotAutomatic() throws Exception {
        String[] r = run("--shards=", "--api.port=1");
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("shards") && r[1].contains("got ''"), r[1]);
    }

    private static String[] run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.gatehouse.Main", "reshard", "--config=" + Harness.emptyConfig()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        return new String[] {Integer.toString(p.exitValue()), out};
    }
}
