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

    /** Waits until the bot holds every world event the simulator produced. */
    private static void awaitEveryWorldEvent(Harness h) throws InterruptedException {
        Harness.await("the bot to receive every world event", 90_000, () -> missingWorldEvents(h.sim, h.bot) == 0,
                () -> missingWorldEvents(h.sim, h.bot) + " missing; " + h.gatehouse.statusLine(0));
    }

    /** Waits for every world event, then: no identify-bucket violation, each event once and in guild order. */
    private static void assertEveryWorldEventDeliveredOnce(Harness h, int fromShards) throws InterruptedException {
        awaitEveryWorldEvent(h);
        assertEquals(0, h.sim.bucketViolations());
        assertEveryWorldEventOnceInGuildOrder(h.sim, h.bot, fromShards);
    }

    /**
     * Every world event any session was sent reached the bot exactly once, in per-guild world order; a session's own
     * dispatches (READY, the GUILD_CREATEs after its identify) reached it only for the sessions of {@code fromShards}.
     */
    static void assertEveryWorldEventOnceInGuildOrder(dev.gatehouse.sim.Simulator sim, TestBot bot, int fromShards) {
        assertEveryWorldEventOnceInGuildOrder(sim, bot, fromShards, false);
    }

    /**
     * As above; with {@code afterCrash}, a dispatch the bot got twice under the same (session, seq) counts once, as
     * a bot deduplicates it: after a kill -9 the events of the last checkpoint period come again (at least once).
     * The same world event under two different sessions is still a failure.
     */
    static void assertEveryWorldEventOnceInGuildOrder(dev.gatehouse.sim.Simulator sim, TestBot bot, int fromShards,
                                                      boolean afterCrash) {
        Map<String, Sent> truth = truth(sim);
        Set<Long> world = new HashSet<>();
        for (Sent s : truth.values()) {
            if (s.worldEvent() != 0) {
                world.add(s.worldEvent());
            }
        }
        Map<Long, Integer> got = new HashMap<>();
        Map<Long, String> firstDelivery = new HashMap<>();
        Map<Long, Long> lastOfGuild = new HashMap<>();
        int own = 0;
        Set<String> seen = new HashSet<>();
        for (TestBot.Received r : bot.all()) {
            if (afterCrash && !seen.add(r.sessionId() + ":" + r.seq())) {
                continue;
            }
            Sent s = truth.get(r.sessionId() + ":" + r.seq());
            if (s == null) {
                fail("the bot got " + r + ", which the simulator never sent");
            }
            if (s.worldEvent() == 0 && "RESUMED".equals(s.type())) {
                continue; // a resume after a restart, delivered like any dispatch
            }
            if (s.worldEvent() == 0) {
                assertEquals(fromShards, s.shardCount(), "only the first set's own READY and GUILD_CREATEs reach the bot: " + r);
                own++;
                continue;
            }
            int n = got.merge(s.worldEvent(), 1, Integer::sum);
            String first = firstDelivery.putIfAbsent(s.worldEvent(), r.sessionId() + ":" + r.seq() + " (" + s.shardCount() + " shards)");
            assertEquals(1, n, "world event " + s.worldEvent() + " (" + s.type() + " of guild " + s.guildId() + ") delivered twice: as "
                    + first + " and as " + r.sessionId() + ":" + r.seq() + " (" + s.shardCount() + " shards)");
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
        try (Harness h = new Harness(world, "--reshard.checkIntervalMinutes=10")) {
            h.awaitLoaded();
            h.sim.startTraffic();
            long target = h.bot.count() + 3000;
            Harness.await("traffic before the reshard", 60_000, () -> h.bot.count() >= target, () -> h.gatehouse.statusLine(0));
            // the status line's rate is the growth of eventsPublished(): across the switch it never goes backwards
            java.util.concurrent.atomic.AtomicLong backwards = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread sampler = Thread.ofPlatform().daemon(true).start(() -> {
                long last = h.gatehouse.eventsPublished();
                while (sampling.get()) {
                    long now = h.gatehouse.eventsPublished();
                    if (now < last) {
                        backwards.set(now - last);
                    }
                    last = now;
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            ReshardStatus started = h.gatehouse.reshard(OptionalInt.of(to));
            assertEquals(to, started.toShards());
            Harness.await("the reshard to switch", 120_000, () -> "done".equals(h.gatehouse.reshardStatus().phase())
                    || "failed".equals(h.gatehouse.reshardStatus().phase()), () -> h.gatehouse.reshardStatus().toString());
            assertEquals("done", h.gatehouse.reshardStatus().phase(), h.gatehouse.reshardStatus().toString());
            assertEquals(to, h.gatehouse.shards().statuses().size());
            Thread.sleep(1_000); // the simulator takes the close frames of the old sessions
            long oldSent = sentTo(h, from);
            long after = h.bot.count() + 3000;
            Harness.await("traffic after the switch", 60_000, () -> h.bot.count() >= after, () -> h.gatehouse.statusLine(0));
            h.sim.stopTraffic();
            Thread.sleep(500);
            Harness.await("the bot to receive the new set's events", 90_000,
                    () -> h.gatehouse.delivery().queued() == 0 && h.gatehouse.dispatches() >= sentTo(h, to)
                            && missingWorldEvents(h.sim, h.bot) == 0,
                    () -> h.gatehouse.statusLine(0) + "; dispatches " + h.gatehouse.dispatches() + " of " + sentTo(h, to)
                            + " sent to the new set; world events not at the bot " + missingWorldEvents(h.sim, h.bot)
                            + "; published, not forwarded yet " + (h.gatehouse.eventsPublished() - h.gatehouse.delivery().delivered()));
            Thread.sleep(1_500); // the state writer's last progress and the delivery checkpoint

            assertEquals(oldSent, sentTo(h, from), "the old sessions were ended (the simulator sends them nothing more): "
                    + h.sim.sessions().stream().filter(x -> x.shardCount() == from).map(GatewaySession::describe).toList());
            assertEquals(0, h.sim.bucketViolations(), "identify bucket violations");
            assertEveryWorldEventOnceInGuildOrder(h.sim, h.bot, from);
            h.assertDatabaseEqualsWorld();
            assertStateFollowsNewSet(h, to);
            sampling.set(false);
            sampler.join();
            assertEquals(0, backwards.get(), "eventsPublished() went backwards (a negative events/s in the status line)");
            assertSummaryAddsUp(h.gatehouse.close(5_000), h.sim.dispatched(), h.bot.count());
        }
    }

    /**
     * The shutdown summary after a reshard: what entered the ring adds up with what went out and is what the bot got
     * (each event once); what all shard sets received is that plus the second copies around the switch, and at most
     * what the simulator sent (an old session's last dispatches after our close frame are read and dropped).
     */
    static void assertSummaryAddsUp(String summary, long sent, int botGot) {
        long[] n = Harness.summaryCounts(summary);
        assertEquals(n[1] + n[2], n[3] + n[4] + n[5] + n[6] + n[7] + n[8], "received + signals = the rest: " + summary);
        java.util.regex.Matcher all = java.util.regex.Pattern.compile("received (\\d+) dispatches in all \\((\\d+) the running set, (\\d+)"
                + " the sets it replaced\\), of which (\\d+) were second copies").matcher(summary);
        assertTrue(all.find(), summary);
        long inAll = Long.parseLong(all.group(1));
        assertEquals(inAll, Long.parseLong(all.group(2)) + Long.parseLong(all.group(3)), summary);
        assertEquals(n[1], inAll - Long.parseLong(all.group(4)), "received = in all - second copies: " + summary);
        assertEquals(botGot, n[1], "received counts each event once, as the bot got it: " + summary);
        assertTrue(inAll <= sent, "no set received more than the simulator sent (" + sent + "): " + summary);
    }

    @org.junit.jupiter.api.Test
    void postReshardThroughTheApiStartsOneAndShardsFollowIt() throws Exception {
        int port = ApiClient.freePort();
        try (Harness h = new Harness(Harness.world(2, 60, 100), "--reshard.checkIntervalMinutes=10", "--api.port=" + port)) {
            h.awaitLoaded();
            ApiClient api = new ApiClient("http://127.0.0.1:" + port, "");
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            // gatehouse reshard --shards=3, against the running process: it POSTs /reshard on api.port
            String[] started = reshardCommand("--shards=3", "--api.port=" + port);
            assertEquals("0", started[0], started[1]);
            assertTrue(started[1].contains("HTTP 202"), started[1]);
            String body = started[1].substring(started[1].indexOf('{'));
            assertEquals(3, json.readTree(body).path("to_shards").asInt(), started[1]);
            Harness.await("the reshard through the API", 120_000, () -> {
                try {
                    return "done".equals(json.readTree(api.get("/shards").body()).path("reshard").path("phase").asText());
                } catch (Exception e) {
                    return false;
                }
            }, () -> h.gatehouse.reshardStatus().toString());
            com.fasterxml.jackson.databind.JsonNode after = json.readTree(api.get("/shards").body());
            assertEquals(3, after.path("shards").size(), "/shards lists the new set: " + after);
            com.fasterxml.jackson.databind.JsonNode page = json.readTree(api.get("/status").body()).path("reshard");
            assertEquals("done", page.path("phase").asText(), "the status page's data tells the reshard: " + page);
            assertEquals(3, page.path("to_shards").asInt(), page.toString());
            assertEquals(400, api.post("/reshard", "{\"shards\":3}").statusCode(), "the running count is refused");
            String[] again = reshardCommand("--shards=3", "--api.port=" + port);
            assertEquals("1", again[0], again[1]);
            assertTrue(again[1].contains("HTTP 400") && again[1].contains("the bot already runs 3 shards"), again[1]);
            String[] bad = reshardCommand("--shards=many", "--api.port=" + port);
            assertEquals("2", bad[0], bad[1]);
            assertTrue(bad[1].contains("shards") && bad[1].contains("'many'"), bad[1]);
        }
    }

    /** {@code gatehouse reshard ...} in its own JVM: its exit code and what it printed. */
    static String[] reshardCommand(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.gatehouse.Main", "reshard", "--config=" + Harness.emptyConfig()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), out);
        return new String[] {Integer.toString(p.exitValue()), out};
    }

    @org.junit.jupiter.api.Test
    void guildsGrowingPastReshardPercentageReshardByThemselves() throws Exception {
        // 300 guilds on 2 shards of 200 at 80% (320): ten joins a second pass the threshold within seconds
        SimOptions world = Harness.world(2, 300, 500).withChurn(new GuildChurn(600, 0, 0, 10_000));
        try (Harness h = new Harness(world, "--reshard.guildsPerShard=200", "--reshard.checkIntervalMinutes=0.01")) {
            h.awaitLoaded();
            assertEquals("idle", h.gatehouse.reshardStatus().phase(), "below the threshold nothing happens");
            h.sim.startTraffic();
            Harness.await("the automatic reshard", 120_000, () -> "done".equals(h.gatehouse.reshardStatus().phase()),
                    () -> h.gatehouse.reshardStatus().toString());
            ReshardStatus done = h.gatehouse.reshardStatus();
            assertTrue(done.detail().contains("reached reshardPercentage 80%"), done.toString());
            assertEquals(3, done.toShards(), "the smallest count that holds the guilds below 80%: " + done);
            Thread.sleep(1_000);
            h.sim.stopTraffic();
            assertEveryWorldEventDeliveredOnce(h, 2);
        }
    }

    /**
     * 400 guilds on 2 shards is 200 a shard, more than the 150 the simulator allows: both get 4011 at identify and
     * 4 shards do. With 700 guilds the 4 new shards get 4011 too (175 each) and the reshard goes on to 8.
     */
    @ParameterizedTest(name = "{0} guilds -> {1} shards")
    @CsvSource({"400, 4", "700, 8"})
    void aShardClosedWith4011StartsAReshardInsteadOfStoppingForGood(int guilds, int shards) throws Exception {
        SimOptions world = Harness.world(2, guilds, 300).withLimits(16, Harness.IDENTIFY_WINDOW_MS, 41_250, 150, true);
        try (Harness h = new Harness(world, "--totalShards=2", "--reshard.checkIntervalMinutes=10")) {
            Harness.await("the reshard after 4011", 120_000, () -> "done".equals(h.gatehouse.reshardStatus().phase()),
                    () -> h.gatehouse.reshardStatus().toString());
            assertTrue(h.gatehouse.reshardStatus().detail().contains("4011"), h.gatehouse.reshardStatus().toString());
            Harness.await("the reshard to " + shards, 120_000, () -> h.gatehouse.shards().statuses().size() == shards,
                    () -> h.gatehouse.reshardStatus().toString());
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(1_500);
            h.sim.stopTraffic();
            awaitEveryWorldEvent(h);
            Thread.sleep(1_500);
            h.assertDatabaseEqualsWorld(); // the guilds came through the new set's loads: the old set never had them
            long created = h.bot.all().stream().filter(r -> "GUILD_CREATE".equals(r.type())).count();
            assertEquals(guilds, created, "each guild's GUILD_CREATE reached the bot once");
        }
    }

    /**
     * A voice state for a guild whose old shard is closed with 4011 waits (parked) while the reshard to 4 loads; at the
     * switch it goes to the guild's shard of the new set, (guild_id >> 22) % 4, not to the new shard with the old id.
     * A guild in an outage on new shard 0 (which identifies last, a turn after old shard 0) holds the switch back.
     */
    @org.junit.jupiter.api.Test
    void aCommandParkedDuringAReshardGoesToTheGuildsShardOfTheNewSet() throws Exception {
        SimOptions world = Harness.world(2, 400, 0).withLimits(16, 5000, 41_250, 150, true); // 200 a shard: 4011
        int port = ApiClient.freePort();
        try (Harness h = new Harness(world, "--totalShards=2", "--reshard.checkIntervalMinutes=10", "--api.port=" + port)) {
            java.util.Set<Long> ids = h.sim.onWorld(w -> w.guildIds());
            long stuck = ids.stream().filter(g -> (g >> 22) % 4 == 0).findFirst().orElseThrow();
            h.sim.guildOutage(stuck);
            long guild = 0, channel = 0;
            for (long g : ids) {
                List<Long> voice = h.sim.onWorld(w -> w.voiceChannelIds(g));
                if ((g >> 22) % 4 >= 2 && !voice.isEmpty()) {
                    guild = g;
                    channel = voice.get(0);
                    break;
                }
            }
            assertTrue(guild != 0, "a guild of new shard 2 or 3 with a voice channel");
            Harness.await("the reshard after 4011 to load", 60_000, () -> "loading".equals(h.gatehouse.reshardStatus().phase())
                    && h.gatehouse.reshardStatus().toShards() == 4, () -> h.gatehouse.reshardStatus().toString());
            ApiClient api = new ApiClient("http://127.0.0.1:" + port, "");
            assertEquals(200, api.get("/shards").statusCode(), "the API answers (its client warmed up)");
            long g = guild, c = channel;
            java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>> answer =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return api.post("/guilds/" + g + "/voice-state?timeout=90000", "{\"channel_id\":\"" + c + "\"}");
                        } catch (Exception e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    });
            Thread.sleep(1_000);
            assertEquals("loading", h.gatehouse.reshardStatus().phase(), "the switch waits for the guild in an outage");
            assertTrue(!answer.isDone(), "the command waits while the old shard " + (g >> 22) % 2 + " is closed with 4011");
            h.sim.guildReturns(stuck);
            java.net.http.HttpResponse<String> r = answer.get(90, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(202, r.statusCode(), r.body());
            Harness.await("the reshard to finish", 30_000, () -> "done".equals(h.gatehouse.reshardStatus().phase()),
                    () -> h.gatehouse.reshardStatus().toString()); // the command may go while the old set closes
            int expected = (int) ((g >> 22) % 4);
            assertEquals(expected, new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("shard").asInt(), r.body());
            Harness.await("VOICE_SERVER_UPDATE of guild " + g, 30_000, () -> serverUpdates(h, g).size() == 1,
                    () -> serverUpdates(h, g).toString());
            GatewaySession answered = serverUpdates(h, g).get(0);
            assertEquals(4, answered.shardCount(), "answered by a session of the new set");
            assertEquals(expected, answered.shardId(), "the command went to the guild's shard of the new set");
        }
    }

    /**
     * Commands the old shard 0 took (202) but holds behind Discord's send limit when the reshard to 3 switches: the
     * switch hands them to the new set, each to its guild's shard, and every one is answered; none is dropped with
     * the old set. (Should the reshard take longer than the limit's 60 s window, the old shard sends them itself and
     * this proves less, never fails wrongly.)
     */
    @org.junit.jupiter.api.Test
    void commandsQueuedInAnOldShardAtTheSwitchAreSentByTheNewSet() throws Exception {
        int port = ApiClient.freePort();
        try (Harness h = new Harness(Harness.world(2, 400, 0), "--totalShards=2", "--reshard.checkIntervalMinutes=10",
                "--api.port=" + port)) {
            h.awaitLoaded();
            ApiClient api = new ApiClient("http://127.0.0.1:" + port, "");
            Map<Long, Long> voice = new java.util.LinkedHashMap<>();
            for (long g : h.sim.onWorld(w -> w.guildIds())) {
                List<Long> channels = h.sim.onWorld(w -> w.voiceChannelIds(g));
                if ((g >> 22) % 2 == 0 && !channels.isEmpty()) {
                    voice.put(g, channels.get(0));
                }
            }
            List<Long> accepted = new ArrayList<>();
            for (Map.Entry<Long, Long> e : voice.entrySet()) {
                java.net.http.HttpResponse<String> r = api.post("/guilds/" + e.getKey() + "/voice-state",
                        "{\"channel_id\":\"" + e.getValue() + "\"}");
                if (r.statusCode() == 202) {
                    accepted.add(e.getKey());
                }
                if (h.gatehouse.shards().statuses().get(0).commandsQueued() >= 10) {
                    break;
                }
            }
            int queued = h.gatehouse.shards().statuses().get(0).commandsQueued();
            assertTrue(queued >= 10, "old shard 0 holds commands behind the send limit: " + queued + " of " + accepted.size());
            h.gatehouse.reshard(java.util.OptionalInt.of(3));
            Harness.await("the reshard to finish", 120_000, () -> "done".equals(h.gatehouse.reshardStatus().phase()),
                    () -> h.gatehouse.reshardStatus().toString());
            Harness.await("a VOICE_SERVER_UPDATE for each of the " + accepted.size() + " accepted commands", 30_000,
                    () -> accepted.stream().allMatch(g -> !serverUpdates(h, g).isEmpty()),
                    () -> accepted.stream().filter(g -> serverUpdates(h, g).isEmpty()).toList() + " unanswered");
            long byNewSet = accepted.stream().filter(g -> serverUpdates(h, g).stream().anyMatch(s -> s.shardCount() == 3
                    && s.shardId() == (int) ((g >> 22) % 3))).count();
            assertTrue(byNewSet > 0, "some were sent by the guild's shard of the new set");
        }
    }

    /** The sessions that sent a VOICE_SERVER_UPDATE of {@code guildId} (the simulator answers the session that asked). */
    private static List<GatewaySession> serverUpdates(Harness h, long guildId) {
        List<GatewaySession> out = new ArrayList<>();
        for (GatewaySession s : h.sim.sessions()) {
            for (GatewaySession.Sent x : s.sent()) {
                if ("VOICE_SERVER_UPDATE".equals(x.type()) && x.guildId() == guildId) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** The simulator's /gateway/bot recommends 4 shards while 2 run; with large bot sharding 4 rounds up to 16. */
    @ParameterizedTest(name = "useOptimalLargeBotSharding={0} -> {1} shards")
    @CsvSource({"false, 4", "true, 16"})
    void discordRecommendingMoreShardsThanRunReshards(boolean optimal, int shards) throws Exception {
        SimOptions world = Harness.world(4, 200, 300);
        try (Harness h = new Harness(world, "--totalShards=2", "--reshard.checkIntervalMinutes=0.01",
                "--useOptimalLargeBotSharding=" + optimal)) {
            Harness.await("the reshard Discord recommends", 120_000, () -> "done".equals(h.gatehouse.reshardStatus().phase()),
                    () -> h.gatehouse.reshardStatus().toString());
            assertTrue(h.gatehouse.reshardStatus().detail().contains("Discord recommends 4 shards, 2 run"),
                    h.gatehouse.reshardStatus().toString());
            assertEquals(shards, h.gatehouse.shards().statuses().size());
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(1_000);
            h.sim.stopTraffic();
            assertEveryWorldEventDeliveredOnce(h, 2);
        }
    }

    @org.junit.jupiter.api.Test
    void aReshardWithoutEnoughIdentifiesLeftIsRefusedAndTheOldSetRunsOn() throws Exception {
        // 6 identifies a day: the 2 shards take 2, leaving 4, fewer than 4 new shards plus a reserve of 10
        SimOptions world = Harness.world(2, 100, 200)
                .withSessionLimits(dev.gatehouse.sim.SessionLimits.defaults().withSessionStarts(6, 86_400_000));
        try (LogLines log = new LogLines(Class.forName("dev.gatehouse.control.Reshard"));
             Harness h = new Harness(world, "--reshard.checkIntervalMinutes=10")) {
            h.awaitLoaded();
            List<String> sessions = h.gatehouse.shards().statuses().stream().map(x -> x.session()).toList();
            h.gatehouse.reshard(OptionalInt.of(4));
            Harness.await("the refusal", 30_000, () -> "refused".equals(h.gatehouse.reshardStatus().phase()),
                    () -> h.gatehouse.reshardStatus().toString());
            assertTrue(h.gatehouse.reshardStatus().detail().contains("session_start_limit"), h.gatehouse.reshardStatus().toString());
            assertEquals(1, log.count(java.util.logging.Level.WARNING, "not resharding 2 -> 4 shards: Discord allows 4 more identifies"
                    + " today (session_start_limit), fewer than the 4 new shards plus reshard.identifyReserve 10"), log.all());
            assertEquals(2, h.sim.identifies(), "no new shard identified");
            assertEquals(sessions, h.gatehouse.shards().statuses().stream().map(x -> x.session()).toList(), "the old set untouched");
            h.sim.startTraffic();
            Thread.sleep(1_000);
            h.sim.stopTraffic();
            h.awaitDelivered();
            h.assertExactlyOnceInOrder();
        }
    }

    @org.junit.jupiter.api.Test
    void badReshardRequestsAreRefusedWithAClearError() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 20, 0), "--reshard.checkIntervalMinutes=10")) {
            IllegalArgumentException zero = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> h.gatehouse.reshard(OptionalInt.of(0)));
            assertEquals("shards must be at least 1, got 0", zero.getMessage());
            IllegalArgumentException same = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> h.gatehouse.reshard(OptionalInt.of(2)));
            assertEquals("the bot already runs 2 shards", same.getMessage());
        }
        try (Harness h = new Harness(Harness.world(2, 20, 0), "--reshard.checkIntervalMinutes=10", "--totalShards=2",
                "--lastShardId=0")) {
            IllegalArgumentException split = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> h.gatehouse.reshard(OptionalInt.of(3)));
            assertEquals("this process runs shards 0..0 of 2; processes that split a shard range reshard to multiples of 2"
                    + " (the totalShards their ranges are of), and 3 is not one", split.getMessage());
        }
    }

    /** World events no session's dispatch to the bot carried yet. */
    static int missingWorldEvents(dev.gatehouse.sim.Simulator sim, TestBot bot) {
        Map<String, Sent> truth = truth(sim);
        Set<Long> missing = new HashSet<>();
        for (Sent s : truth.values()) {
            if (s.worldEvent() != 0) {
                missing.add(s.worldEvent());
            }
        }
        for (TestBot.Received r : bot.all()) {
            Sent s = truth.get(r.sessionId() + ":" + r.seq());
            if (s != null) {
                missing.remove(s.worldEvent());
            }
        }
        return missing.size();
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

    /**
     * Guilds' shards follow the new count; the stored sessions are exactly the new set's, at their last seq; the
     * recorded count is the new one.
     */
    static void assertStateFollowsNewSet(Harness h, int to) throws Exception {
        assertGuildsAndSessionsFollow(h, to);
        assertEquals(to, h.count("SELECT total_shards FROM gatehouse_shard_set"));
    }

    /** Guilds' shards follow the new count; the stored sessions are exactly the new set's, at their last seq. */
    static void assertGuildsAndSessionsFollow(Harness h, int to) throws Exception {
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
    }

    static List<Integer> counts(Map<Integer, List<TestBot.Received>> m) {
        List<Integer> out = new ArrayList<>();
        m.values().forEach(l -> out.add(l.size()));
        return out;
    }
}
