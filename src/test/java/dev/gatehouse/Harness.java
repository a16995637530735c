package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gatehouse.config.Config;
import dev.gatehouse.config.ConfigLoader;
import dev.gatehouse.sim.GatewaySession;
import dev.gatehouse.sim.SimOptions;
import dev.gatehouse.sim.SimSetup;
import dev.gatehouse.sim.Simulator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A whole deployment for end-to-end tests, all real: the simulator on loopback, a PostgreSQL database,
 * Gatehouse itself, and a {@link TestBot}. Nothing of ours is mocked.
 */
final class Harness implements AutoCloseable {
    final Simulator sim;
    final TestBot bot;
    final Gatehouse gatehouse;
    final String jdbcUrl;
    /** The simulator's identify window of {@link #world}: reshards and re-identifies wait for turns this long, not 5 s. */
    static final int IDENTIFY_WINDOW_MS = 1_000;
    /**
     * Short retry waits for every Gatehouse of the tests (a test's own settings come after and win): a shard
     * reconnects after up to 100 ms, 2^n x 100 ms at most 2 s, instead of up to 30 s; the state writer tries a
     * database that is down every 100 ms doubling to 1 s instead of 500 ms to 10 s. Outages stay as long as the
     * tests make them, only the wait after them is shorter.
     */
    static final List<String> FAST_RETRIES = List.of("--gateway.reconnectBackoffMs=100", "--gateway.maxReconnectBackoffMs=2000",
            "--state.retryBackoffMs=100", "--state.maxRetryBackoffMs=1000");
    /** The settings of {@link #gatehouse} before the test's own: another process of this deployment starts from them. */
    private final List<String> base;

    Harness(SimOptions simOptions, String... settings) throws Exception {
        this(simOptions, SimSetup.NONE, settings);
    }

    /** A deployment whose simulator also has transport faults or a replayed capture. */
    Harness(SimOptions simOptions, SimSetup setup, String... settings) throws Exception {
        sim = new Simulator(simOptions, setup);
        bot = new TestBot("test-secret");
        jdbcUrl = TestPostgres.freshDatabase();
        List<String> args = new ArrayList<>(List.of(
                "--config=" + emptyConfig(),
                "--discord.token=" + simOptions.token(),
                "--rest.url=" + sim.restUrl(),
                "--eventHandler.url=" + bot.url(),
                "--eventHandler.secret=test-secret",
                "--db.url=" + jdbcUrl,
                "--db.user=" + TestPostgres.server().user(),
                "--delivery.spillDir=" + spillDir(jdbcUrl),
                "--state.journalDir=" + journalDir(jdbcUrl),
                "--filters.editedMessages=false", // the tests compare the bot with every dispatch sent; FiltersTest turns it on
                "--status.intervalSeconds=0",
                // identifies paced as the simulator's window asks (Harness.world: 1 s, not Discord's 5 s)
                "--spawnShardDelay=" + simOptions.identifyIntervalMs(),
                "--api.port=0")); // the API is off unless a test turns it on at a free port (never 8787)
        args.addAll(FAST_RETRIES);
        base = List.copyOf(args);
        args.addAll(List.of(settings));
        Config config = ConfigLoader.load(args, Map.of());
        try {
            gatehouse = Gatehouse.start(config);
        } catch (Exception e) {
            sim.close();
            bot.close();
            throw e;
        }
    }

    /**
     * Another Gatehouse process of this deployment, in this JVM: the same simulator, bot and database, its own spill
     * and journal directories ({@code name} tells them apart), and {@code settings} instead of the first one's. The
     * caller closes it before the harness.
     */
    Gatehouse another(String name, String... settings) throws Exception {
        List<String> args = new ArrayList<>();
        for (String a : base) {
            if (a.startsWith("--delivery.spillDir=")) {
                args.add("--delivery.spillDir=" + spillDir(jdbcUrl) + "-" + name);
            } else if (a.startsWith("--state.journalDir=")) {
                args.add("--state.journalDir=" + spillDir(jdbcUrl) + "-" + name + "-state-journal");
            } else {
                args.add(a);
            }
        }
        args.addAll(List.of(settings));
        return Gatehouse.start(ConfigLoader.load(args, Map.of()));
    }

    /**
     * A simulated world for a test: {@code shards} recommended, {@code guilds} with 200 members each, {@code rate}
     * events/s once traffic starts, max_concurrency 16 and an identify window of {@link #IDENTIFY_WINDOW_MS} per
     * bucket (Discord's 5 s only where a test proves the pacing itself, with {@code withLimits}).
     */
    static SimOptions world(int shards, int guilds, int rate) {
        return SimOptions.defaults().withWorld(shards, guilds, 200).withTraffic(rate).withToken("test-token").withTruth(true)
                .withLimits(16, IDENTIFY_WINDOW_MS, SimOptions.defaults().heartbeatIntervalMs(), SimOptions.defaults().maxGuildsPerShard(), true);
    }

    /** A spill directory of this test run and database: a restart on the same database finds its spill again. */
    static String spillDir(String jdbcUrl) {
        String db = jdbcUrl.substring(jdbcUrl.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9_]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "gatehouse-spill-" + ProcessHandle.current().pid() + "-" + db).toString();
    }

    /** The state journal's directory of this test run and database. */
    static String journalDir(String jdbcUrl) {
        return spillDir(jdbcUrl) + "-state-journal";
    }

    static String emptyConfig() throws IOException {
        Path p = Files.createTempFile("gatehouse-test", ".properties");
        p.toFile().deleteOnExit();
        return p.toString();
    }

    static void await(String what, long timeoutMs, BooleanSupplier done, Supplier<String> state) throws InterruptedException {
        long end = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("gave up waiting for " + what + ": " + state.get());
            }
            Thread.sleep(50);
        }
    }

    /** Waits until every shard is READY with all its guilds loaded. */
    void awaitLoaded() throws InterruptedException {
        await("all shards ready and guilds loaded", 60_000,
                () -> gatehouse.shards().statuses().stream().allMatch(x -> x.ready() && x.guildsLoaded() == x.guilds()),
                () -> gatehouse.statusLine(0));
    }

    /** Waits until the bot holds as many events as the simulator sent. */
    void awaitDelivered() throws InterruptedException {
        await("the bot to receive every dispatch", 90_000,
                () -> bot.count() >= sim.dispatched() && gatehouse.delivery().queued() == 0
                        && gatehouse.dispatches() >= sim.dispatched(),
                () -> "bot has " + bot.count() + " of " + sim.dispatched() + "; " + gatehouse.statusLine(0));
    }

    /** Every dispatch the simulator sent reached the bot exactly once, in per-shard sequence order. */
    void assertExactlyOnceInOrder() {
        assertDelivered(sim, bot.byShard());
    }

    /**
     * Nothing lost, order kept, when the bot went away mid-request: a request the bot processed but whose
     * answer never came back is sent again (HTTP cannot tell), so re-sent events are set aside, as a bot does
     * with the (shard, session, seq) key, before comparing. Returns how many re-sent events were set aside.
     */
    int assertNothingLostInOrder() {
        return assertNothingLostInOrder(sim, bot);
    }

    /** {@link #assertNothingLostInOrder()} for any simulator and bot. */
    static int assertNothingLostInOrder(Simulator sim, TestBot bot) {
        Map<Integer, List<TestBot.Received>> kept = new TreeMap<>();
        int resent = 0;
        for (Map.Entry<Integer, List<TestBot.Received>> e : bot.byShard().entrySet()) {
            List<TestBot.Received> out = new ArrayList<>();
            Set<String> seen = new java.util.HashSet<>();
            for (TestBot.Received r : e.getValue()) {
                if (seen.add(r.sessionId() + ":" + r.seq())) {
                    out.add(r);
                } else {
                    resent++;
                }
            }
            kept.put(e.getKey(), out);
        }
        assertDelivered(sim, kept);
        return resent;
    }

    private static void assertDelivered(Simulator sim, Map<Integer, List<TestBot.Received>> got) {
        Map<Integer, List<TestBot.Received>> expected = new TreeMap<>();
        for (GatewaySession s : sim.sessions()) {
            for (GatewaySession.Sent sent : s.sent()) {
                expected.computeIfAbsent(s.shardId(), k -> new ArrayList<>())
                        .add(new TestBot.Received(s.shardId(), s.id(), sent.seq(), sent.type()));
            }
        }
        assertEquals(expected.keySet(), got.keySet(), "shards that delivered events");
        for (Map.Entry<Integer, List<TestBot.Received>> e : expected.entrySet()) {
            List<TestBot.Received> g = got.get(e.getKey());
            if (!e.getValue().equals(g)) {
                int i = 0;
                while (i < Math.min(g.size(), e.getValue().size()) && g.get(i).equals(e.getValue().get(i))) {
                    i++;
                }
                fail("shard " + e.getKey() + ": sent " + e.getValue().size() + " dispatches, bot got " + g.size()
                        + "; first difference at index " + i + ": sent "
                        + (i < e.getValue().size() ? e.getValue().get(i) : "nothing") + ", got " + (i < g.size() ? g.get(i) : "nothing"));
            }
        }
    }

    /**
     * Guilds (available and in an outage), channels, roles and members in PostgreSQL equal the simulator's world.
     * Rows of guilds the bot has left stay in the database as history (soft deletes), so only the guilds the
     * bot is still in are compared.
     */
    void assertDatabaseEqualsWorld() throws SQLException {
        assertDatabaseEqualsWorld(sim, jdbcUrl);
    }

    /** {@link #assertDatabaseEqualsWorld()} for any simulator and database. */
    static void assertDatabaseEqualsWorld(Simulator sim, String jdbcUrl) throws SQLException {
        Set<Long> out = sim.onWorld(w -> w.unavailableGuildIds());
        Set<Long> guilds = sim.onWorld(w -> w.guildIds());
        guilds.removeAll(out);
        Set<Long> channels = sim.onWorld(w -> w.channelIds());
        Set<Long> roles = sim.onWorld(w -> w.roleIds());
        Set<String> members = sim.onWorld(w -> w.memberKeys());
        String current = " AND guild_id IN (SELECT id FROM guilds WHERE left_at IS NULL)";
        try (Connection c = DriverManager.getConnection(jdbcUrl, TestPostgres.server().user(), "")) {
            assertEquals(guilds, ids(c, "SELECT id FROM guilds WHERE left_at IS NULL AND NOT unavailable"), "guilds");
            assertEquals(out, ids(c, "SELECT id FROM guilds WHERE left_at IS NULL AND unavailable"), "guilds in an outage");
            assertEquals(channels, ids(c, "SELECT id FROM channels WHERE deleted_at IS NULL" + current), "channels");
            assertEquals(roles, ids(c, "SELECT id FROM roles WHERE deleted_at IS NULL" + current), "roles");
            Set<String> stored = new TreeSet<>();
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT guild_id, user_id FROM members WHERE left_at IS NULL" + current)) {
                while (rs.next()) {
                    stored.add(rs.getLong(1) + ":" + rs.getLong(2));
                }
            }
            assertEquals(members.size(), stored.size(), "member count");
            assertEquals(members, stored, "members");
        }
    }

    static Set<Long> ids(Connection c, String sql) throws SQLException {
        Set<Long> out = new TreeSet<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, TestPostgres.server().user(), "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() {
        gatehouse.close(5_000);
        sim.close();
        bot.close();
        TestPostgres.delete(Path.of(spillDir(jdbcUrl)));
        TestPostgres.delete(Path.of(journalDir(jdbcUrl)));
    }

    /**
     * The shutdown summary's counts, n[1..8]: dispatches received, Gatehouse signals, forwarded, filtered, replays the
     * bot already had, refused by the bot, dropped, undelivered at stop.
     */
    static long[] summaryCounts(String summary) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) dispatches received and (\\d+) Gatehouse signals:"
                + " (\\d+) events forwarded, (\\d+) filtered .*?, (\\d+) replays the bot already had, (\\d+) refused by the bot,"
                + " (\\d+) dropped, (\\d+) undelivered at stop").matcher(summary);
        if (!m.find()) {
            throw new AssertionError("not a shutdown summary: " + summary);
        }
        long[] n = new long[9];
        for (int i = 1; i <= 8; i++) {
            n[i] = Long.parseLong(m.group(i));
        }
        return n;
    }
}
