package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A second independent client, @discordjs/ws from the npm registry, run by Node against the simulator: it logs in
 * with two shards, gets READY and exactly its shards' guilds, resumes after op 7 without a new identify, and
 * every dispatch it saw is one the simulator's truth says it sent. Runs when {@code node} is on the PATH.
 */
class NodeClientTest {
    private static final String TOKEN = "node-test-token";
    private static final int SHARDS = 2;
    private static final Path SOURCES = Path.of("src", "test", "node");
    private static final Path WORK = Path.of("target", "node-client");
    private static final List<String> FILES = List.of("package.json", "package-lock.json", "gateway-client.mjs");

    private Simulator sim;
    private Process node;
    private final List<Map<String, String>> lines = new CopyOnWriteArrayList<>();

    /** One line the script printed, as its flat fields (nested values are skipped). */
    private static Map<String, String> parse(String line) throws IOException {
        Map<String, String> fields = new HashMap<>();
        try (JsonParser p = SimJson.JSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object: " + line);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (v.isScalarValue()) {
                    fields.put(name, p.getValueAsString());
                } else {
                    p.skipChildren();
                }
            }
        }
        return fields;
    }

    private static boolean onPath(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, program)));
    }

    /** Copies the client into target/ and installs its pinned dependencies; a failed install fails the test. */
    private static void npmCi() throws Exception {
        Files.createDirectories(WORK);
        for (String f : FILES) {
            Files.copy(SOURCES.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!onPath("npm")) {
            fail("node is on the PATH but npm is not: cannot install @discordjs/ws from " + SOURCES.resolve("package-lock.json"));
        }
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
                .directory(WORK.toFile()).redirectErrorStream(true).start();
        npm.getOutputStream().close();
        String output = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!npm.waitFor(10, TimeUnit.MINUTES)) {
            npm.destroyForcibly();
            fail("npm ci in " + WORK + " did not finish in 10 minutes:\n" + output);
        }
        if (npm.exitValue() != 0) {
            fail("npm ci in " + WORK + " failed with exit code " + npm.exitValue() + ":\n" + output);
        }
    }

    private void startClient() throws IOException {
        ProcessBuilder pb = new ProcessBuilder("node", "gateway-client.mjs").directory(WORK.toFile())
                .redirectError(WORK.resolve("stderr.txt").toFile());
        pb.environment().put("DISCORD_API", "http://127.0.0.1:" + sim.port() + "/api");
        pb.environment().put("DISCORD_TOKEN", TOKEN); // the environment, not the command line: never in a process list
        node = pb.start();
        Thread.ofPlatform().name("node-client-stdout").daemon(true).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    try {
                        lines.add(parse(line));
                    } catch (IOException e) {
                        lines.add(Map.of("event", "unparsed", "message", line)); // shows in story(), fails no wait
                    }
                }
            } catch (IOException e) {
                lines.add(Map.of("event", "unreadable", "message", e.toString()));
            }
        });
    }

    private List<Map<String, String>> events(String event, int shard) {
        return lines.stream().filter(l -> event.equals(l.get("event")) && Integer.toString(shard).equals(l.get("shard"))).toList();
    }

    private List<GatewaySession.Sent> dispatches(int shard) {
        return events("dispatch", shard).stream().map(l -> new GatewaySession.Sent(Long.parseLong(l.get("s")), l.get("t"),
                Long.parseLong(l.get("guild")))).toList();
    }

    private long messages(int shard) {
        return dispatches(shard).stream().filter(d -> d.type().equals("MESSAGE_CREATE")).count();
    }

    /** What the client said that is not a dispatch, and its stderr: the story of a failure. */
    private String story() {
        StringBuilder b = new StringBuilder("node alive=" + (node != null && node.isAlive()) + "\n");
        lines.stream().filter(l -> !"dispatch".equals(l.get("event"))).forEach(l -> b.append(l).append('\n'));
        try {
            b.append("stderr: ").append(Files.readString(WORK.resolve("stderr.txt")));
        } catch (IOException e) {
            b.append("stderr unreadable: ").append(e);
        }
        return b.toString();
    }

    @AfterEach
    void stop() throws Exception {
        if (node != null && node.isAlive()) {
            try (OutputStream in = node.getOutputStream()) {
                in.write("stop\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // already gone
            }
            if (!node.waitFor(20, TimeUnit.SECONDS)) {
                node.destroyForcibly();
            }
        }
        if (sim != null) {
            sim.close();
        }
    }

    @Test
    void discordjsWsLogsInWithTwoShardsResumesAfterOp7AndSeesTheTraffic() throws Exception {
        assumeTrue(onPath("node"), "node is not on the PATH: the @discordjs/ws client test needs Node.js 20 or newer");
        npmCi();
        sim = new Simulator(SimOptions.defaults().withWorld(SHARDS, 60, 40).withTraffic(200).withToken(TOKEN));
        startClient();

        ClientTruth.await("both shards READY (the client prints connected)",
                () -> lines.stream().anyMatch(l -> "connected".equals(l.get("event"))), this::story);
        Map<String, String> connected = lines.stream().filter(l -> "connected".equals(l.get("event"))).findFirst().orElseThrow();
        assertEquals(Integer.toString(SHARDS), connected.get("shards"), "shard count from the simulator's /gateway/bot");
        assertEquals(sim.gatewayUrl(), connected.get("url"), "gateway url from /gateway/bot");
        for (int shard = 0; shard < SHARDS; shard++) {
            Set<Long> expected = ClientTruth.guildsOfShard(sim, shard, SHARDS);
            int id = shard;
            ClientTruth.await("shard " + shard + "'s GUILD_CREATEs", () -> guildCreates(id).size() >= expected.size(), this::story);
            List<Long> guilds = guildCreates(shard);
            assertEquals(expected, new TreeSet<>(guilds), "shard " + shard + " guilds at login");
            assertEquals(expected.size(), guilds.size(), "shard " + shard + ": one GUILD_CREATE per guild");
            assertEquals(1, events("ready", shard).size(), "one READY");
            assertEquals("READY", dispatches(shard).getFirst().type());
            assertEquals(1, dispatches(shard).getFirst().seq(), "READY is s=1");
        }

        List<GatewaySession> sessions = ClientTruth.reconnectDuringTraffic(sim, SHARDS, this::messages,
                () -> events("resumed", 0).size() == 1, this::story);
        for (GatewaySession session : sessions) {
            int shard = session.shardId();
            long sent = session.count();
            ClientTruth.waitUntil(() -> dispatches(shard).size() >= sent); // a shortfall shows in the comparison below
            ClientTruth.assertSameDispatches("@discordjs/ws", session, dispatches(shard));
            assertEquals(session.sent(), dispatches(shard),
                    "shard " + shard + ": every dispatch's guild (d.guild_id, or d.id for the guild events) is the one routed");
            assertEquals(1, events("ready", shard).size(), "one READY: the session was never recreated");
            assertEquals(session.id(), events("ready", shard).getFirst().get("session"), "the session READY named");
        }
        assertEquals(0, events("resumed", 1).size(), "shard 1 never resumed");
        assertTrue(lines.stream().noneMatch(l -> "error".equals(l.get("event"))), "client errors: " + story());
    }

    private List<Long> guildCreates(int shard) {
        return dispatches(shard).stream().filter(d -> d.type().equals("GUILD_CREATE")).map(GatewaySession.Sent::guildId).toList();
    }
}
