package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.sim.GatewaySession;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * An example controller, compiled by this test into a jar of its own and loaded from {@code controllers.dir}:
 * it drops PRESENCE_UPDATE, rewrites MESSAGE_CREATE frames, throws on MESSAGE_DELETE (counted; the event is
 * delivered as if there were no controller), changes the identify and observes shard states. The effect is
 * checked at the bot. A controller whose constructor throws stops the start, named.
 */
class ControllerTest {

    static final String EXAMPLE = """
            package example;

            import dev.gatehouse.spi.*;
            import java.nio.charset.StandardCharsets;

            public class ExampleController implements Controller {
                @Override
                public String name() {
                    return "example";
                }

                @Override
                public DispatchAction onDispatch(DispatchEvent e) {
                    switch (e.type()) {
                        case "PRESENCE_UPDATE":
                            return DispatchAction.drop();
                        case "MESSAGE_CREATE":
                            String f = new String(e.frame(), StandardCharsets.UTF_8);
                            return DispatchAction.rewrite(f.replaceFirst("\\"d\\":\\\\{", "\\"d\\":{\\"controlled\\":\\"example\\",")
                                    .getBytes(StandardCharsets.UTF_8));
                        case "MESSAGE_DELETE":
                            throw new IllegalStateException("the example fails here on purpose");
                        default:
                            return e.kind().equals("load") ? DispatchAction.routeTo("loads") : DispatchAction.deliver();
                    }
                }

                @Override
                public Identify onIdentify(Identify i) {
                    System.setProperty("example.identify." + i.shardId(), "called");
                    return new Identify(i.shardId(), 200, "{\\"status\\":\\"idle\\",\\"since\\":null,\\"activities\\":[],\\"afk\\":false}");
                }

                @Override
                public void onShardStatus(ShardState s) {
                    if (s.state().equals("READY")) {
                        System.setProperty("example.ready." + s.shardId(), s.previous());
                    }
                }
            }
            """;

    static final String BROKEN = """
            package example;

            public class BrokenController implements dev.gatehouse.spi.Controller {
                public BrokenController() {
                    throw new IllegalStateException("no licence key");
                }
            }
            """;

    static final String TARGET = """
            package example;

            import dev.gatehouse.spi.*;
            import java.util.List;
            import java.util.Optional;
            import java.util.concurrent.ConcurrentLinkedQueue;

            public class BrokerController implements Controller {
                @Override
                public Optional<DeliveryTarget> deliveryTarget() {
                    ConcurrentLinkedQueue<DeliveredEvent> broker = new ConcurrentLinkedQueue<>();
                    System.getProperties().put("example.broker", broker);
                    return Optional.of(batch -> {
                        broker.addAll(batch);
                        return DeliveryTarget.Result.delivered();
                    });
                }
            }
            """;

    /** Compiles one controller class with javax.tools and packs it, with its service entry, into a jar in a new directory. */
    static Path controllerJar(String className, String source) throws IOException {
        Path src = Files.createTempDirectory("controller-src");
        Path classes = Files.createTempDirectory("controller-classes");
        Path file = src.resolve(className.substring(className.lastIndexOf('.') + 1) + ".java");
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", System.getProperty("java.class.path"), file.toString());
        assertEquals(0, rc, "the example controller compiles");
        Path dir = Files.createTempDirectory("controllers");
        try (OutputStream out = Files.newOutputStream(dir.resolve("example.jar")); JarOutputStream jar = new JarOutputStream(out)) {
            jar.putNextEntry(new JarEntry("META-INF/services/dev.gatehouse.spi.Controller"));
            jar.write((className + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
            try (var tree = Files.walk(classes)) {
                for (Path c : tree.filter(Files::isRegularFile).toList()) {
                    jar.putNextEntry(new JarEntry(classes.relativize(c).toString().replace('\\', '/')));
                    jar.write(Files.readAllBytes(c));
                    jar.closeEntry();
                }
            }
        }
        return dir;
    }

    @Test
    void theExampleControllerDropsAndRewritesEventsAtTheBot() throws Exception {
        Path dir = controllerJar("example.ExampleController", EXAMPLE);
        try (Harness h = new Harness(Harness.world(2, 30, 500), "--controllers.dir=" + dir)) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(3_000);
            h.sim.stopTraffic();
            Harness.await("every dispatch to be received", 60_000, () -> h.gatehouse.dispatches() >= h.sim.dispatched(),
                    () -> h.gatehouse.statusLine(0));
            long presences = 0;
            long creates = 0;
            long channels = 0;
            for (GatewaySession s : h.sim.sessions()) {
                for (GatewaySession.Sent sent : s.sent()) {
                    presences += sent.type().equals("PRESENCE_UPDATE") ? 1 : 0;
                    creates += sent.type().equals("MESSAGE_CREATE") ? 1 : 0;
                    channels += sent.type().equals("MESSAGE_DELETE") ? 1 : 0;
                }
            }
            long expected = h.sim.dispatched() - presences;
            Harness.await("the rest to arrive", 60_000, () -> h.bot.distinct() >= expected, () -> h.gatehouse.statusLine(0));
            Thread.sleep(300);
            assertTrue(presences > 0 && creates > 0 && channels > 0, "the traffic had presences, message creates and deletes");
            assertEquals(expected, h.bot.distinct(), "everything but PRESENCE_UPDATE reached the bot");
            assertEquals(presences, h.gatehouse.delivery().droppedByControllers());
            assertTrue(h.bot.byShard().values().stream().flatMap(List::stream).noneMatch(r -> r.type().equals("PRESENCE_UPDATE")));
            List<TestBot.Parsed> messages = h.bot.messages().stream().filter(p -> p.event().type().equals("MESSAGE_CREATE")).toList();
            assertEquals(creates, messages.size());
            assertTrue(messages.stream().allMatch(p -> "example".equals(p.d().get("controlled"))), "every MESSAGE_CREATE was rewritten");
            assertTrue(h.gatehouse.controllers().failures() >= channels, "each failing hook call was counted");
            assertEquals("called", System.getProperty("example.identify.0"));
            assertEquals("IDENTIFYING", System.getProperty("example.ready.1"), "the controller saw shard 1 become READY");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aControllersDeliveryTargetReplacesHttp() throws Exception {
        Path dir = controllerJar("example.BrokerController", TARGET);
        try (Harness h = new Harness(Harness.world(2, 20, 300), "--controllers.dir=" + dir, "--delivery.batchSize=20")) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(1_500);
            h.sim.stopTraffic();
            var broker = (java.util.Queue<dev.gatehouse.spi.DeliveredEvent>) System.getProperties().get("example.broker");
            long signals = 3; // two GATEHOUSE_SHARD_LOADED, one GATEHOUSE_ALL_LOADED
            Harness.await("the broker to hold every dispatch", 60_000, () -> broker.size() >= h.sim.dispatched() + signals,
                    () -> broker.size() + " of " + h.sim.dispatched() + "; " + h.gatehouse.statusLine(0));
            assertEquals(0, h.bot.count(), "nothing went over HTTP");
            java.util.Map<Integer, java.util.List<TestBot.Received>> got = new java.util.TreeMap<>();
            for (var e : broker) {
                if (!e.type().startsWith("GATEHOUSE_")) {
                    got.computeIfAbsent(e.shardId(), k -> new java.util.ArrayList<>())
                            .add(new TestBot.Received(e.shardId(), e.sessionId(), e.seq(), e.type()));
                }
            }
            java.util.Map<Integer, java.util.List<TestBot.Received>> sent = new java.util.TreeMap<>();
            for (GatewaySession s : h.sim.sessions()) {
                for (GatewaySession.Sent x : s.sent()) {
                    sent.computeIfAbsent(s.shardId(), k -> new java.util.ArrayList<>())
                            .add(new TestBot.Received(s.shardId(), s.id(), x.seq(), x.type()));
                }
            }
            assertEquals(sent, got, "every dispatch reached the broker once, in per-shard order");
        }
    }

    @Test
    void aControllerThatFailsToLoadStopsTheStartByName() throws Exception {
        Path dir = controllerJar("example.BrokenController", BROKEN);
        ConfigException e = assertThrows(ConfigException.class, () -> new Harness(Harness.world(1, 5, 0), "--controllers.dir=" + dir));
        assertTrue(e.getMessage().contains("example.BrokenController") && e.getMessage().contains("no licence key"), e.getMessage());
    }
}
