package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gatehouse.control.ReshardStatus;
import dev.gatehouse.sim.GatewaySession;
import dev.gatehouse.sim.GuildChurn;
import dev.gatehouse.sim.SimOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Zero-downtime resharding against the simulator, all parts real: under steady traffic with guild joins, a
 * second shard set identifies with the new count, loads, and takes over. The bot gets every event of the world
 * exactly once and in per-guild order (compared by the simulator's world event numbers, since the two sets
 * deliver an event under different sessions and seqs), the database equals the world and follows the new
 * count, the old sessions are ended, and no identify broke a bucket.
 */
class ReshardTest {

    /** What the simulator sent, by (session, seq): the world event (0 for a session's own) and the guild. */
    record Sent(long worldEvent, long guildId, String type, int shardCount) {
    }

    static Map<String, Sent> truth(dev.gatehouse.sim.Simulator sim) {
        Map<String, Sent> out = new HashMap<>();
        for (GatewaySession s : sim.sessions()) {
            List<GatewaySession.Sent> sent = s.sent();
            List<Long> events = s.worldEvents();
            for (int i = 0; i < sent.size(); i++) {
                GatewaySession.Sent x = sent.get(i);
                out.put(s.id() + ":" + x.seq(), new Sent(events.get(i), x.guildId(), x.type(), s.shardCount()));
            }
        }
        return out;
    }

    /**
     * Every world event any session was sent reached the bot exactly once, in per-guild world order; a session's own
     * dispatches (READY, the GUILD_CREATEs after its identify) reached it only for the sessions of {@code fromShards}.
     */
    static void assertEveryWorldEventOnceInGuildOrder(dev.gatehouse.sim.Simulator sim, TestBot bot, int fromShards) {
        Map<String, Sent> truth = truth(sim);
        Set<Long> world = new HashSet<>();
        for (Sent s : truth.values()) {
            if (s.worldEvent() != 0) {
                world.add(s.worldEvent());
            }
        }
        Map<Long, Integer> got = new HashMap<>();
        Map<Long, Long> lastOfGuild = new HashMap<>();
        int own = 0;
        for (TestBot.Received r : bot.all()) {
            Sent s = truth.get(r.sessionId() + ":" + r.seq());
            if (s == null) {
                fail("the bot got " + r + ", which the simulator never sent");
            }
            if (s.worldEvent() == 0) {
                assertEquals(fromShards, s.shardCount(), "only the first set's own READY and GUILD_CREATEs reach the bot: " + r);
                own++;
                continue;
            }
            int n = got.merge(s.worldEvent(), 1, Integer::sum);
            assertEquals(1, n, "world event " + s.worldEvent() + " (" + s.type() + " of guild " + s.guildId() + ") delivered twice");
            Long before = lastOfGuild.put(s.guildId(), s.worldEvent());
            if (before != null && before > s.worldEvent()) {
                fail("guild " + s.guildId() + ": world event " + s.worldEvent() + " (" + s.type() + ") reached the bot after "
                        + before);
            }
        }
        Set<Long> missing = new HashSet<>(world);
        missing.removeAll(got.keySet());
        if (!missing.isEmpty()) {
            List<String> what = new ArrayList<>();
            for (Map.Entry<String, Sent> e : truth.entrySet()) {
                if (missing.contains(e.getValue().worldEvent())) {
                    what.add(e.getKey() + "=" + e.getValue());
                }
            }
            fail(missing.size() + " world events (of " + world.size() + ") never reached the bot: " + what);
        }
        assertTrue(own > 0, "the first set's READY and guild loads were delivered");
    }

    @ParameterizedTest(name = "{0} -> {1} shards")
    @CsvSource({"2, 4", "4, 6"})
    void aReshardUnderTrafficDeliversEveryWorldEventOnceInGuildOrder(int from, int to) throws Exception {
        SimOptions world = Harness.world(from, 400, 1200).withChurn(new GuildChurn(60, 0, 0, 10_000));
        try (Harness h = new Harness(world, "--reshard.checkIntervalMs=600000")) {
            h.awaitLoaded();
            h.sim.startTraffic();
            long target = h.bot.count() + 3000;
            Harness.await("traffic before the reshard", 60_000, () -> h.bot.count() >= target, () -> h.gatehouse.statusLine(0));
            ReshardStatus started = h.gatehouse.reshard(OptionalInt.of(to));
            assertEquals(to, started.toShards());
            Harness.await("the reshard to switch", 120_000, () -> "done".equals(h.gatehouse.reshardStatus().phase())
                    || "failed".equals(h.gatehouse.reshardStatus().phase()), () -> h.gatehouse.reshardStatus().toString());
            assertEquals("done", h.gatehouse.reshardStatus().phase(), h.gatehouse.reshardStatus().toString());
            assertEquals(to, h.gatehouse.shards().statuses().size());
            long oldSent = sentTo(h, from);
            long after = h.bot.count() + 3000;
            Harness.await("traffic after the switch", 60_000, () -> h.bot.count() >= after, () -> h.gatehouse.statusLine(0));
            h.sim.stopTraffic();
            Thread.sleep(500);
            Harness.await("the bot to receive the new set's events", 90_000,
                    () -> h.gatehouse.delivery().queued() == 0 && h.gatehouse.dispatches() >= sentTo(h, to), () -> h.gatehouse.statusLine(0));
            Thread.sleep(1_500); // the state writer's last progress and the delivery checkpoint

            assertEquals(oldSent, sentTo(h, from), "the old sessions were ended (the simulator sends them nothing more)");
            assertEquals(0, h.sim.bucketViolations(), "identify bucket violations");
            assertEveryWorldEventOnceInGuildOrder(h.sim, h.bot, from);
            h.assertDatabaseEqualsWorld();
            assertStateFollowsNewSet(h, to);
        }
    }

    /** Dispatches the simulator sent to the sessions of one shard count. */
    static long sentTo(Harness h, int shardCount) {
        long n = 0;
        for (GatewaySession s : h.sim.sessions()) {
            if (s.shardCount() == shardCount) {
                n += s.count();
            }
        }
        return n;
    }

    /** Guilds' shards follow the new count; the stored sessions are exactly the new set's, at their last seq. */
    static void assertStateFollowsNewSet(Harness h, int to) throws Exception {
        assertEquals(0, h.count("SELECT count(*) FROM guilds WHERE shard_id <> ((id >> 22) % " + to + ")::integer"),
                "guilds whose shard_id does not follow " + to + " shards");
        Map<Integer, GatewaySession> newest = new TreeMap<>();
        for (GatewaySession s : h.sim.sessions()) {
            if (s.shardCount() == to) {
                newest.put(s.shardId(), s);
            }
        }
        assertEquals(to, newest.size(), "new sessions");
        Map<Integer, String> stored = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(h.jdbcUrl, TestPostgres.server().user(), "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT shard_id, session_id, total_shards, stored_seq FROM gatehouse_session")) {
            while (rs.next()) {
                stored.put(rs.getInt(1), rs.getString(2));
                assertEquals(to, rs.getInt(3), "total_shards of shard " + rs.getInt(1));
                List<GatewaySession.Sent> sent = newest.get(rs.getInt(1)).sent();
                assertEquals(sent.get(sent.size() - 1).seq(), rs.getLong(4), "stored_seq of new shard " + rs.getInt(1));
            }
        }
        Map<Integer, String> expected = new TreeMap<>();
        newest.forEach((shard, s) -> expected.put(shard, s.id()));
        assertEquals(expected, stored, "gatehouse_session holds exactly the new set");
        assertEquals(to, h.count("SELECT total_shards FROM gatehouse_shard_set"));
    }

    static List<Integer> counts(Map<Integer, List<TestBot.Received>> m) {
        List<Integer> out = new ArrayList<>();
        m.values().forEach(l -> out.add(l.size()));
        return out;
    }
}
