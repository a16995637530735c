package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The world's depth (threads, voice states, outages, joins and leaves) reaches a client in Discord's shapes, and a
 * client that applies every dispatch it got ends with exactly the world the simulator reports as its truth.
 */
class SimulatorWorldTest extends SimulatorTestBase {

    /** What a client knows after applying each dispatch: guilds (true when available), threads, voice states. */
    private static final class ClientView {
        final Map<Long, Boolean> guilds = new TreeMap<>();
        final Map<Long, Set<Long>> threads = new HashMap<>();
        final Map<Long, Set<Long>> voice = new HashMap<>();
        final Map<String, Integer> seen = new TreeMap<>();
        /** Guilds READY listed that have not had their first GUILD_CREATE yet. */
        final Set<Long> loading = new TreeSet<>();

        @SuppressWarnings("unchecked")
        void apply(String frame) throws Exception {
            Map<String, Object> f = CommandData.tree(frame.getBytes(StandardCharsets.UTF_8));
            String t = (String) f.get("t");
            if (t == null) {
                return;
            }
            Map<String, Object> d = (Map<String, Object>) f.get("d");
            switch (t) {
                case "READY" -> {
                    for (Object g : (List<Object>) d.get("guilds")) {
                        long id = id(((Map<String, Object>) g).get("id"));
                        guilds.put(id, false);
                        loading.add(id);
                    }
                }
                case "GUILD_CREATE" -> {
                    long g = id(d.get("id"));
                    String kind = loading.remove(g) ? "initial" : !guilds.containsKey(g) ? "join" : guilds.get(g) ? "again" : "return";
                    seen.merge(kind, 1, Integer::sum);
                    guilds.put(g, true);
                    Set<Long> ts = threads.computeIfAbsent(g, k -> new TreeSet<>());
                    ts.clear();
                    for (Object th : (List<Object>) d.get("threads")) {
                        ts.add(id(((Map<String, Object>) th).get("id")));
                    }
                    Set<Long> vs = voice.computeIfAbsent(g, k -> new TreeSet<>());
                    vs.clear();
                    for (Object v : (List<Object>) d.get("voice_states")) {
                        vs.add(id(((Map<String, Object>) v).get("user_id")));
                    }
                }
                case "GUILD_DELETE" -> {
                    long g = id(d.get("id"));
                    if (Boolean.TRUE.equals(d.get("unavailable"))) {
                        seen.merge("outage", 1, Integer::sum);
                        guilds.put(g, false);
                    } else {
                        seen.merge("leave", 1, Integer::sum);
                        guilds.remove(g);
                        threads.remove(g);
                        voice.remove(g);
                    }
                }
                case "THREAD_CREATE", "THREAD_UPDATE" -> {
                    seen.merge(t, 1, Integer::sum);
                    threads.computeIfAbsent(id(d.get("guild_id")), k -> new TreeSet<>()).add(id(d.get("id")));
                }
                case "THREAD_DELETE" -> {
                    seen.merge(t, 1, Integer::sum);
                    threads.get(id(d.get("guild_id"))).remove(id(d.get("id")));
                }
                case "VOICE_STATE_UPDATE" -> {
                    seen.merge(t, 1, Integer::sum);
                    Set<Long> vs = voice.computeIfAbsent(id(d.get("guild_id")), k -> new TreeSet<>());
                    if (d.get("channel_id") == null) {
                        vs.remove(id(d.get("user_id")));
                    } else {
                        vs.add(id(d.get("user_id")));
                    }
                }
                default -> {
                }
            }
        }

        private static long id(Object o) {
            return Long.parseLong((String) o);
        }

        Set<Long> guildsWhere(boolean available) {
            return guilds.entrySet().stream().filter(e -> e.getValue() == available).map(Map.Entry::getKey)
                    .collect(Collectors.toCollection(TreeSet::new));
        }

        Set<String> pairs(Map<Long, Set<Long>> m) {
            Set<String> out = new TreeSet<>();
            m.forEach((g, ids) -> ids.forEach(i -> out.add(g + ":" + i)));
            return out;
        }
    }

    private GatewayProbe identify(int shard, int shards) throws Exception {
        GatewayProbe p = ProbeFrames.connect(sim);
        p.send(ProbeFrames.identify(TOKEN, shard, shards, "641"));
        return p;
    }

    /** Applies everything the probe receives until it has been quiet for a second. */
    private static void drain(GatewayProbe p, ClientView view) throws Exception {
        String m;
        while ((m = p.received.poll(1, TimeUnit.SECONDS)) != null) {
            view.apply(m);
        }
    }

    private static void assertClientEqualsWorld(ClientView view, WorldSnapshot truth) {
        Set<Long> available = truth.guilds().stream().filter(g -> !g.unavailable()).map(WorldSnapshot.Guild::id)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<Long> out = truth.guilds().stream().filter(WorldSnapshot.Guild::unavailable).map(WorldSnapshot.Guild::id)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(available, view.guildsWhere(true), "available guilds");
        assertEquals(out, view.guildsWhere(false), "guilds in an outage");
        assertEquals(truth.threads().stream().map(t -> t.guildId() + ":" + t.id()).collect(Collectors.toCollection(TreeSet::new)),
                view.pairs(view.threads), "threads");
        assertEquals(truth.voiceStates().stream().map(v -> v.guildId() + ":" + v.userId())
                .collect(Collectors.toCollection(TreeSet::new)), view.pairs(view.voice), "voice states");
    }

    @Test
    void outagesReturnsJoinsAndLeavesReachTheGuildsShardAsDiscordSendsThem() throws Exception {
        startSimulator(SimOptions.defaults().withWorld(1, 6, 10).withTraffic(0));
        WorldSnapshot before = sim.truth();
        long out = before.guilds().get(0).id();
        long left = before.guilds().get(1).id();
        GatewayProbe p = identify(0, 1);
        ClientView view = new ClientView();
        drain(p, view);
        sim.guildOutage(out);
        String delete = p.next();
        assertEquals("GUILD_DELETE", ProbeFrames.text(delete, "t"));
        assertTrue(delete.contains("\"unavailable\":true"), delete);
        view.apply(delete);
        GatewayProbe late = identify(0, 1);
        String ready = late.next();
        assertTrue(ready.contains("{\"id\":\"" + out + "\",\"unavailable\":true}"), "READY lists the guild in the outage");
        Set<Long> created = new TreeSet<>();
        for (int i = 0; i < 5; i++) {
            created.add(Long.parseLong(ProbeFrames.text(late.next(), "id")));
        }
        assertFalse(created.contains(out), "no GUILD_CREATE for a guild in an outage");
        assertEquals(Set.of(out), sim.truth().guilds().stream().filter(WorldSnapshot.Guild::unavailable)
                .map(WorldSnapshot.Guild::id).collect(Collectors.toSet()));
        sim.guildReturns(out);
        sim.leaveGuild(left);
        long joined = sim.joinGuild();
        drain(p, view);
        assertEquals(Map.of("initial", 6, "join", 1, "leave", 1, "outage", 1, "return", 1), view.seen);
        assertTrue(view.guilds.containsKey(joined) && !view.guilds.containsKey(left));
        assertClientEqualsWorld(view, sim.truth());
        String back = late.next();
        assertEquals("GUILD_CREATE", ProbeFrames.text(back, "t"), "the late session gets the return too");
        assertEquals(Long.toString(out), ProbeFrames.text(back, "id"));
    }

    @Test
    void aClientThatAppliesEveryDispatchOfAChurningWorldEndsWithTheWorldsTruth() throws Exception {
        startSimulator(SimOptions.defaults().withWorld(1, 10, 20).withTraffic(150).withChurn(new GuildChurn(1200, 600, 600, 400)));
        GatewayProbe p = identify(0, 1);
        ClientView view = new ClientView();
        drain(p, view);
        sim.startTraffic();
        Thread.sleep(2_500);
        sim.stopTraffic();
        drain(p, view);
        WorldSnapshot truth = sim.truth();
        for (String kind : List.of("join", "leave", "outage", "return", "THREAD_CREATE", "VOICE_STATE_UPDATE")) {
            assertTrue(view.seen.getOrDefault(kind, 0) > 0, "the traffic had " + kind + ": " + view.seen);
        }
        assertClientEqualsWorld(view, truth);
        Map<String, Integer> counts = truth.counts();
        assertEquals(truth.guilds().size(), counts.get("guilds"));
        assertEquals(view.guildsWhere(false).size(), counts.get("unavailable_guilds"));
        assertTrue(counts.get("guilds") > 10, "joins outnumber leaves, so the guild count grew: " + counts);
    }

    @Test
    void theTruthListsEveryEntityTheGuildCreatesCarry() throws Exception {
        startSimulator(SimOptions.defaults().withWorld(1, 30, 40).withTraffic(0));
        WorldSnapshot truth = sim.truth();
        long[] counts = sim.onWorld(World::counts);
        assertEquals(counts[0], truth.guilds().size());
        assertEquals(counts[1], truth.channels().size());
        assertEquals(sim.onWorld(World::channelIds).size(), truth.channels().size() + truth.threads().size(),
                "channelIds counts threads as channels");
        assertEquals(counts[2], truth.roles().size());
        assertEquals(counts[3], truth.members().size());
        assertTrue(truth.threads().size() > 0 && truth.voiceStates().size() > 0, truth.counts().toString());
        GatewayProbe p = identify(0, 1);
        ClientView view = new ClientView();
        drain(p, view);
        assertClientEqualsWorld(view, truth);
    }

    /** The GUILD_CREATE a fresh session with this large_threshold gets for the world's only guild. */
    private String guildCreateAt(int largeThreshold) throws Exception {
        GatewayProbe p = ProbeFrames.connect(sim);
        p.send(ProbeFrames.identify(TOKEN, 0, 1, "769").replace("\"intents\"", "\"large_threshold\":" + largeThreshold
                + ",\"intents\""));
        assertEquals("READY", ProbeFrames.text(p.next(), "t"));
        return p.next();
    }

    @Test
    void largeGuildsFollowTheSessionsLargeThreshold() throws Exception {
        startSimulator(SimOptions.defaults().withWorld(1, 1, 10).withTraffic(0));
        long[] expected = sim.onWorld(w -> {
            World.Guild g = w.guildList.get(0);
            for (int i = 0; i < 120; i++) {
                World.Member m = w.addMember(g, new World.User(w.id(), "user_extra_" + i, null, false));
                m.status = i % 3 == 0 ? "online" : "offline";
                m.roles.clear();
            }
            long shown = g.members.values().stream().filter(m -> !"offline".equals(m.status) || !m.roles.isEmpty()
                    || m.nick != null || m.user.bot || g.voiceStates.containsKey(m.user.id)).count();
            long online = g.members.values().stream().filter(m -> !"offline".equals(m.status)).count();
            return new long[] {g.members.size(), shown, online};
        });
        String large = guildCreateAt(50);
        assertTrue(large.contains("\"large\":true"), "over 50 members");
        assertEquals(expected[1], count(large, "\"communication_disabled_until\""),
                "only online, with a role or nick, in voice, or the bot");
        assertTrue(expected[1] < expected[0], "offline members were left out");
        assertEquals(expected[2], count(large, "\"client_status\""), "presences only for members who are not offline");
        String whole = guildCreateAt(250);
        assertTrue(whole.contains("\"large\":false"), "not over 250 members");
        assertEquals(expected[0], count(whole, "\"communication_disabled_until\""), "every member");
        GatewayProbe bad = ProbeFrames.connect(sim);
        bad.send(ProbeFrames.identify(TOKEN, 0, 1, "769").replace("\"intents\"", "\"large_threshold\":10,\"intents\""));
        assertEquals(4001, bad.closeCode(), "large_threshold outside 50..250");
    }

    private static int count(String json, String needle) {
        int n = 0;
        for (int i = json.indexOf(needle); i >= 0; i = json.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
