package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.shard.ShardStatus;
import dev.gatehouse.sim.SimOptions;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Commands through the API end to end: voice states reach the guild's shard and the simulator answers them, member
 * requests return exactly the world's members across every chunk, Discord's member rate limit becomes a 429, a
 * command waits for a resuming shard, and a burst of 150 commands is paced and partly refused, never closed 4008.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiCommandTest {
    static final int SHARDS = 2;
    Harness h;
    ApiClient api;

    @BeforeAll
    void start() throws Exception {
        int port = ApiClient.freePort();
        // seed 395: of its 12 guilds the largest has 1795 members, so a full member request takes two chunks
        SimOptions world = SimOptions.parse(List.of("--shards=" + SHARDS, "--guilds=12", "--maxMembers=2500", "--seed=395",
                "--eventsPerSecond=0", "--token=test-token")).withPort(0).withTruth(true);
        h = new Harness(world, "--api.port=" + port);
        api = new ApiClient("http://127.0.0.1:" + port, "");
        h.awaitLoaded();
    }

    @AfterAll
    void stop() {
        h.close();
    }

    static int shardOf(long guildId) {
        return (int) ((guildId >> 22) % SHARDS);
    }

    /** A guild of the shard and one of its voice channels, as the API's state reads tell them. */
    long[] voiceChannelOn(int shard) throws Exception {
        for (long g : h.sim.onWorld(w -> w.guildIds())) {
            if (shardOf(g) != shard) {
                continue;
            }
            HttpResponse<String> r = api.get("/guilds/" + g + "/channels");
            assertEquals(200, r.statusCode(), r.body());
            for (JsonNode c : ApiTest.json(r).path("items")) {
                if (c.path("data").path("type").asInt() == 2) {
                    return new long[] {g, c.path("data").path("id").asLong()};
                }
            }
        }
        throw new AssertionError("no guild of shard " + shard + " has a voice channel");
    }

    int received(int shard, String type) {
        return (int) h.bot.byShard().getOrDefault(shard, List.of()).stream().filter(r -> r.type().equals(type)).count();
    }

    @Test
    @Order(1)
    void aVoiceStateReachesTheGuildsShardAndTheSimulatorAnswers() throws Exception {
        for (int shard = 0; shard < SHARDS; shard++) {
            long[] gc = voiceChannelOn(shard);
            int other = 1 - shard;
            int states = received(shard, "VOICE_STATE_UPDATE");
            int servers = received(shard, "VOICE_SERVER_UPDATE");
            int otherStates = received(other, "VOICE_STATE_UPDATE");
            HttpResponse<String> r = api.post("/guilds/" + gc[0] + "/voice-state",
                    "{\"channel_id\":\"" + gc[1] + "\",\"self_mute\":false,\"self_deaf\":true}");
            assertEquals(202, r.statusCode(), r.body());
            assertEquals(shard, ApiTest.json(r).path("shard").asInt());
            int s = shard;
            Harness.await("VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE on shard " + shard, 30_000,
                    () -> received(s, "VOICE_STATE_UPDATE") > states && received(s, "VOICE_SERVER_UPDATE") > servers,
                    () -> h.bot.byShard().toString().length() + " chars of events");
            assertEquals(otherStates, received(other, "VOICE_STATE_UPDATE"), "nothing on the other shard");
            HttpResponse<String> leave = api.post("/guilds/" + gc[0] + "/voice-state", "{\"channel_id\":null}");
            assertEquals(202, leave.statusCode(), leave.body());
            Harness.await("the leave's VOICE_STATE_UPDATE", 30_000, () -> received(s, "VOICE_STATE_UPDATE") > states + 1, () -> "");
        }
    }

    @Test
    @Order(2)
    void aMemberRequestReturnsExactlyTheWorldsMembersAcrossChunksThenIsRateLimited() throws Exception {
        Map<Long, Set<Long>> members = new HashMap<>();
        for (String key : h.sim.onWorld(w -> w.memberKeys())) {
            String[] gu = key.split(":");
            members.computeIfAbsent(Long.parseLong(gu[0]), k -> new TreeSet<>()).add(Long.parseLong(gu[1]));
        }
        long guild = members.entrySet().stream().max(Map.Entry.comparingByValue((a, b) -> a.size() - b.size())).orElseThrow().getKey();
        Set<Long> expected = members.get(guild);
        assertTrue(expected.size() > 1000, "the world's largest guild needs several chunks: " + expected.size());
        HttpResponse<String> r = api.post("/guilds/" + guild + "/members/request?timeout=60000", "{\"query\":\"\",\"limit\":0}");
        assertEquals(200, r.statusCode(), r.body().substring(0, Math.min(300, r.body().length())));
        JsonNode answer = ApiTest.json(r);
        Set<Long> got = new TreeSet<>();
        int entries = 0;
        for (JsonNode m : answer.path("members")) {
            got.add(m.path("user").path("id").asLong());
            entries++;
        }
        assertEquals(expected.size(), entries, "one entry per member");
        assertEquals(expected, got);
        assertEquals((expected.size() + 999) / 1000, answer.path("chunk_count").asInt());
        assertEquals(Long.toString(guild), answer.path("guild_id").asText());
        Harness.await("the chunks' members stored in the state", 60_000, () -> {
            try {
                return h.count("SELECT count(*) FROM members WHERE left_at IS NULL AND guild_id = " + guild) == expected.size();
            } catch (java.sql.SQLException e) {
                return false;
            }
        }, () -> "a large guild's GUILD_CREATE lists only some members; the chunks bring the rest");

        HttpResponse<String> again = api.post("/guilds/" + guild + "/members/request", "{\"query\":\"\",\"limit\":0}");
        assertEquals(429, again.statusCode(), again.body());
        assertTrue(ApiTest.json(again).path("retry_after").asDouble() > 0, again.body());
        assertTrue(Long.parseLong(again.headers().firstValue("Retry-After").orElse("0")) >= 1);
    }

    @Test
    @Order(3)
    void aMemberRequestByIdsNamesTheUnknownOnes() throws Exception {
        long guild = h.sim.onWorld(w -> w.guildIds()).iterator().next();
        List<Long> real = new ArrayList<>();
        for (String key : h.sim.onWorld(w -> w.memberKeys())) {
            if (key.startsWith(guild + ":") && real.size() < 2) {
                real.add(Long.parseLong(key.substring(key.indexOf(':') + 1)));
            }
        }
        long unknown = 4242424242424242L;
        HttpResponse<String> r = api.post("/guilds/" + guild + "/members/request",
                "{\"user_ids\":[\"" + real.get(0) + "\",\"" + real.get(1) + "\",\"" + unknown + "\"]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode answer = ApiTest.json(r);
        Set<Long> got = new TreeSet<>();
        answer.path("members").forEach(m -> got.add(m.path("user").path("id").asLong()));
        assertEquals(new TreeSet<>(real), got);
        assertEquals(1, answer.path("not_found").size());
        assertEquals(unknown, answer.path("not_found").get(0).asLong());
    }

    @Test
    @Order(4)
    void aCommandForAResumingShardWaitsAndGoesOutAfterResumed() throws Exception {
        long[] gc = voiceChannelOn(0);
        int resumes = status(0).resumes();
        int states = received(0, "VOICE_STATE_UPDATE");
        h.sim.dropConnection(0);
        HttpResponse<String> r = api.post("/guilds/" + gc[0] + "/voice-state?timeout=60000", "{\"channel_id\":\"" + gc[1] + "\"}");
        assertEquals(202, r.statusCode(), r.body());
        Harness.await("the voice state after the resume", 60_000, () -> received(0, "VOICE_STATE_UPDATE") > states, () -> "");
        assertTrue(status(0).resumes() > resumes, "the shard resumed");
    }

    ShardStatus status(int shard) {
        return h.gatehouse.shards().statuses().stream().filter(s -> s.id() == shard).findFirst().orElseThrow();
    }

    @Test
    @Order(5)
    void aBurstOf150CommandsIsPacedAndPartlyRefusedNeverClosed() throws Exception {
        int shard = 1;
        ShardStatus before = status(shard);
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            sent.add(api.postAsync("/shards/" + shard + "/presence",
                    "{\"status\":\"online\",\"activities\":[{\"name\":\"burst " + i + "\",\"type\":0}]}"));
        }
        int accepted = 0, refused = 0;
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            HttpResponse<String> r = f.join();
            if (r.statusCode() == 202) {
                accepted++;
            } else {
                assertEquals(429, r.statusCode(), r.body());
                assertTrue(Long.parseLong(r.headers().firstValue("Retry-After").orElse("0")) >= 1, r.headers().toString());
                refused++;
            }
        }
        assertEquals(150, accepted + refused);
        assertTrue(refused > 0, "some refused: Discord allows 120 payloads a minute");
        assertTrue(accepted >= 16, "accepted " + accepted);
        assertTrue(status(shard).commandsQueued() > 0, "the rest wait for the limiter's window");
        long commands = h.sim.commandsReceived();
        Thread.sleep(2_000);
        ShardStatus after = status(shard);
        assertEquals("READY", after.state());
        assertEquals(before.session(), after.session(), "same session: never closed");
        assertNotEquals(4008, after.lastCloseCode());
        assertEquals(1, h.sim.sessions().stream().filter(s -> s.shardId() == shard).count(), "one session of the shard");
        assertTrue(h.sim.commandsReceived() - commands < 120, "paced");
    }
}
