package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The commands a client sends (op 3, 4, 8) are validated and answered as Discord does. */
class SimulatorCommandTest extends SimulatorTestBase {
    /** GUILDS | GUILD_MEMBERS | GUILD_VOICE_STATES | GUILD_PRESENCES | GUILD_MESSAGES. */
    private static final String ALL_NEEDED = Long.toString(1 | 2 | 128 | 256 | 512);
    private static final int GUILDS = 3;
    private long guild;
    private String sessionId;

    private GatewayProbe identified(String intents, SessionLimits limits) throws Exception {
        startSimulator(SimOptions.defaults().withWorld(1, GUILDS, 20).withTraffic(0).withSessionLimits(limits));
        guild = sim.onWorld(w -> w.guildList.get(0).id);
        GatewayProbe p = ProbeFrames.connect(sim);
        p.send(ProbeFrames.identify(TOKEN, 0, 1, intents));
        String ready = p.next();
        sessionId = ProbeFrames.text(ready, "session_id");
        for (int i = 0; i < GUILDS; i++) {
            assertEquals("GUILD_CREATE", ProbeFrames.text(p.next(), "t"));
        }
        return p;
    }

    private GatewayProbe identified(String intents) throws Exception {
        return identified(intents, SessionLimits.defaults());
    }

    private static int count(String json, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(json);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void aPresenceUpdateBecomesTheBotsStatusInEveryGuild() throws Exception {
        GatewayProbe p = identified(ALL_NEEDED);
        sim.onWorld(w -> {
            w.guildList.forEach(g -> g.members.get(w.self.id).status = "online");
            return null;
        });
        p.send("{\"op\":3,\"d\":{\"since\":null,\"activities\":[{\"name\":\"tests\",\"type\":0}],\"status\":\"dnd\",\"afk\":false}}");
        p.send("{\"op\":1,\"d\":null}");
        assertEquals(11, ProbeFrames.number(p.next(), "op"), "heartbeat ack after the presence, nothing else");
        assertEquals(java.util.Set.of("dnd"), sim.onWorld(w -> {
            java.util.Set<String> statuses = new java.util.HashSet<>();
            for (World.Guild g : w.guildList) {
                statuses.add(g.members.get(w.self.id).status);
            }
            return statuses;
        }));
    }

    @Test
    void aPresenceUpdateWithAnUnknownStatusIsClosedWith4001() throws Exception {
        GatewayProbe p = identified(ALL_NEEDED);
        p.send("{\"op\":3,\"d\":{\"since\":null,\"activities\":[],\"status\":\"sleeping\",\"afk\":false}}");
        assertEquals(4001, p.closeCode());
    }

    @Test
    void joiningAVoiceChannelAnswersVoiceStateThenVoiceServerAndLeavingClearsIt() throws Exception {
        GatewayProbe p = identified(ALL_NEEDED);
        long channel = sim.onWorld(w -> w.guilds.get(guild).voiceChannels().get(0));
        long self = sim.onWorld(w -> w.self.id);
        p.send("{\"op\":4,\"d\":{\"guild_id\":\"" + guild + "\",\"channel_id\":\"" + channel
                + "\",\"self_mute\":false,\"self_deaf\":true}}");
        String state = p.next();
        assertEquals("VOICE_STATE_UPDATE", ProbeFrames.text(state, "t"), state);
        assertEquals(Long.toString(channel), ProbeFrames.text(state, "channel_id"));
        assertEquals(Long.toString(self), ProbeFrames.text(state, "user_id"));
        assertEquals(sessionId, ProbeFrames.text(state, "session_id"));
        assertTrue(state.contains("\"self_deaf\":true"), state);
        String server = p.next();
        assertEquals("VOICE_SERVER_UPDATE", ProbeFrames.text(server, "t"), server);
        assertEquals(Long.toString(guild), ProbeFrames.text(server, "guild_id"));
        assertTrue(ProbeFrames.text(server, "endpoint") != null && ProbeFrames.text(server, "token") != null, server);
        assertEquals(channel, (long) sim.onWorld(w -> w.guilds.get(guild).voiceStates.get(self).channelId));
        p.send("{\"op\":4,\"d\":{\"guild_id\":\"" + guild + "\",\"channel_id\":null,\"self_mute\":false,\"self_deaf\":false}}");
        String left = p.next();
        assertEquals("VOICE_STATE_UPDATE", ProbeFrames.text(left, "t"), left);
        assertTrue(left.contains("\"channel_id\":null"), left);
        boolean stillIn = sim.onWorld(w -> w.guilds.get(guild).voiceStates.containsKey(self));
        assertFalse(stillIn, "the bot left the voice channel");
        long text = sim.onWorld(w -> w.guilds.get(guild).textChannels().get(0));
        p.send("{\"op\":4,\"d\":{\"guild_id\":\"" + guild + "\",\"channel_id\":\"" + text + "\",\"self_mute\":false,\"self_deaf\":false}}");
        assertEquals(4001, p.closeCode(), "a text channel is no voice channel");
    }

    /** Grows the guild to {@code members} members on the world thread, all online. */
    private void growGuild(int members) {
        sim.onWorld(w -> {
            World.Guild g = w.guilds.get(guild);
            while (g.members.size() < members) {
                long id = w.id();
                w.addMember(g, new World.User(id, "user_" + Long.toString(id, 36), null, false)).status = "online";
            }
            return null;
        });
    }

    @Test
    void allMembersArriveInChunksOfAtMost1000WithIndexCountNonceAndPresences() throws Exception {
        GatewayProbe p = identified(ALL_NEEDED);
        growGuild(2300);
        p.send("{\"op\":8,\"d\":{\"guild_id\":\"" + guild + "\",\"query\":\"\",\"limit\":0,\"presences\":true,\"nonce\":\"n1\"}}");
        int total = 0;
        for (int i = 0; i < 3; i++) {
            String chunk = p.next();
            assertEquals("GUILD_MEMBERS_CHUNK", ProbeFrames.text(chunk, "t"), chunk.substring(0, 200));
            assertEquals(i, ProbeFrames.number(chunk, "chunk_index"));
            assertEquals(3, ProbeFrames.number(chunk, "chunk_count"));
            assertEquals("n1", ProbeFrames.text(chunk, "nonce"));
            int members = count(chunk, "\"joined_at\"");
            assertTrue(members <= 1000, "at most 1000 members per chunk");
            assertTrue(count(chunk, "\"status\"") > 0, "presences were asked for");
            total += members;
        }
        assertEquals(2300, total);
        p.send("{\"op\":8,\"d\":{\"guild_id\":\"" + guild + "\",\"query\":\"\",\"limit\":0,\"nonce\":\"n2\"}}");
        String limited = p.next();
        assertEquals("RATE_LIMITED", ProbeFrames.text(limited, "t"), limited);
        assertEquals(8, ProbeFrames.number(limited, "opcode"));
        assertTrue(limited.matches(".*\"retry_after\":\\d+(\\.\\d+)?.*"), limited);
        assertEquals(Long.toString(guild), ProbeFrames.text(limited, "guild_id"));
        assertEquals("n2", ProbeFrames.text(limited, "nonce"));
    }

    @Test
    void theLimitOnAllMembersIsPerGuildAndEndsAfterTheInterval() throws Exception {
        GatewayProbe p = identified(ALL_NEEDED, SessionLimits.defaults().withMemberRequestIntervalMs(1_000));
        long other = sim.onWorld(w -> w.guildList.get(1).id);
        p.send("{\"op\":8,\"d\":{\"guild_id\":\"" + guild + "\",\"query\":\"\",\"limit\":0}}");
        assertEquals("GUILD_MEMBERS_CHUNK", ProbeFrames.text(p.next(), "t"));
        p.send("{\"op\":8,\"d\":{\"guild_id\":\"" + other + "\",\"query\":\"\",\"limit\":0}}");
        assertEquals("GUILD_MEMBERS_CHUNK", ProbeFrames.text(p.next(), "t"), "another guild is not limited");
        Thread.sleep(1_500);
        p.send("{\"op\":8,\"d\":{\"guild_id\":\"" + guild + "\",\"query\":\"\",\"limit\":0}}");
        assertEquals("GUILD_MEMBERS_CHUNK", ProbeFrames.text(p.next(), "t"), "after the interval");
    }

    @Test
    void membersByIdReportTheIdsThatAreNoMembersAndAQueryMatchesUsernamePrefixes() throws Exception {
        GatewayProbe p = identified(ALL_NEEDED);
        long member = sim.onWorld(w -> w.guilds.get(guild).members.keySet().stream().skip(1).findFirst().orElseThrow());
        p.send("{\"op\":8,\"d\":{\"guild_id\":\"" + guild + "\",\"user_ids\":[\"" + member + "\",\"12345\"]}}");
        String chunk = p.next();
        assertEquals(1, count(chunk, "\"joined_at\""), chunk);
        assertTrue(chunk.contains("\"not_found\":[\"12345\"]"), chunk);
        assertFalse(chunk.contains("\"presences\""), "not asked for");
        assertNull(ProbeFrames.text(chunk, "nonce"));
        p.send("{\"op\":8,\"d\":{\"guild_id\":\"" + guild + "\",\"query\":\"USER_\",\"limit\":3}}");
        String byName = p.next();
        assertEquals(3, count(byName, "\"joined_at\""), byName);
        assertEquals(3, count(byName, "\"username\":\"user_"), "case-insensitive username prefix");
    }

    @Test
    void requestingAllMembersWithoutTheMembersIntentIsClosedWith4013() throws Exception {
        GatewayProbe p = identified("513");
        p.send("{\"op\":8,\"d\":{\"guild_id\":\"" + guild + "\",\"query\":\"\",\"limit\":0}}");
        assertEquals(4013, p.closeCode());
    }

    @Test
    void aMemberRequestWithoutGuildIsClosedWith4001() throws Exception {
        GatewayProbe p = identified(ALL_NEEDED);
        p.send("{\"op\":8,\"d\":{\"query\":\"\",\"limit\":0}}");
        assertEquals(4001, p.closeCode());
    }
}
