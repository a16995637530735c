package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** Session lifetime as Discord keeps it: which closes end a session, how long a dropped one stays resumable. */
class SimulatorSessionTest extends SimulatorTestBase {

    private void start(SessionLimits limits) throws Exception {
        sim = new Simulator(SimOptions.defaults().withWorld(1, 3, 5).withTraffic(0).withToken(TOKEN)
                .withLimits(16, 0, 41250, 2500, true).withSessionLimits(limits));
    }

    /** Identifies on a fresh connection, reads READY and the guilds, returns the session id and the probe. */
    private GatewayProbe identified(String[] sessionId) throws Exception {
        GatewayProbe p = ProbeFrames.connect(sim);
        p.send(ProbeFrames.identify(TOKEN, 0, 1, "513"));
        String ready = p.next();
        assertEquals("READY", ProbeFrames.text(ready, "t"));
        sessionId[0] = ProbeFrames.text(ready, "session_id");
        for (int i = 0; i < 3; i++) {
            assertEquals("GUILD_CREATE", ProbeFrames.text(p.next(), "t"));
        }
        return p;
    }

    private String resumeAnswer(String sessionId) throws Exception {
        GatewayProbe p = ProbeFrames.connect(sim);
        p.send("{\"op\":6,\"d\":{\"token\":\"" + TOKEN + "\",\"session_id\":\"" + sessionId + "\",\"seq\":1}}");
        return p.next();
    }

    @Test
    void aClientCloseWith1000Or1001EndsTheSession() throws Exception {
        start(SessionLimits.defaults());
        for (int code : new int[] {1000, 1001}) {
            String[] id = new String[1];
            GatewayProbe p = identified(id);
            p.close(code, "bye");
            p.closeCode();
            String answer = resumeAnswer(id[0]);
            assertEquals(9, ProbeFrames.number(answer, "op"), "a session closed with " + code + " is not resumable: " + answer);
            assertTrue(answer.contains("\"d\":false"), answer);
        }
    }

    @Test
    void otherClosesAndDroppedSocketsStayResumable() throws Exception {
        start(SessionLimits.defaults());
        String[] id = new String[1];
        GatewayProbe p = identified(id);
        p.close(4000, "will resume");
        p.closeCode();
        String answer = resumeAnswer(id[0]);
        assertEquals("GUILD_CREATE", ProbeFrames.text(answer, "t"), "replay after seq 1: " + answer);
        String[] second = new String[1];
        GatewayProbe q = identified(second);
        q.getSocket().close(); // TCP gone without a close frame
        String replay = resumeAnswer(second[0]);
        assertEquals("GUILD_CREATE", ProbeFrames.text(replay, "t"), replay);
    }

    @Test
    void aDroppedSessionExpiresAfterTheResumeWindow() throws Exception {
        start(SessionLimits.defaults().withResumeWindowMs(300));
        String[] id = new String[1];
        GatewayProbe p = identified(id);
        p.close(4000, "will resume");
        p.closeCode();
        Thread.sleep(1_500);
        String answer = resumeAnswer(id[0]);
        assertEquals(9, ProbeFrames.number(answer, "op"), "expired: " + answer);
        assertTrue(answer.contains("\"d\":false"), answer);
    }

    private HttpResponse<String> gatewayBot() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(sim.restUrl() + "/gateway/bot"))
                .header("Authorization", "Bot " + TOKEN).build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void gatewayBotServesTheSessionStartLimitAndEachIdentifyTakesOne() throws Exception {
        start(SessionLimits.defaults().withSessionStarts(5, 60_000));
        String before = gatewayBot().body();
        assertEquals(5, ProbeFrames.number(before, "total"), before);
        assertEquals(5, ProbeFrames.number(before, "remaining"), before);
        assertEquals(16, ProbeFrames.number(before, "max_concurrency"), before);
        String[] id = new String[1];
        identified(id);
        identified(id);
        String after = gatewayBot().body();
        assertEquals(3, ProbeFrames.number(after, "remaining"), after);
        long resetAfter = ProbeFrames.number(after, "reset_after");
        assertTrue(resetAfter > 0 && resetAfter <= 60_000, after);
        GatewayProbe resumer = ProbeFrames.connect(sim);
        resumer.send("{\"op\":6,\"d\":{\"token\":\"" + TOKEN + "\",\"session_id\":\"" + id[0] + "\",\"seq\":1}}");
        assertEquals("GUILD_CREATE", ProbeFrames.text(resumer.next(), "t"), "a resume is no session start");
        assertEquals(3, ProbeFrames.number(gatewayBot().body(), "remaining"));
    }

    @Test
    void anIdentifyPastTheLimitEndsEverySessionAndResetsTheTokenUntilTheWindowRefills() throws Exception {
        start(SessionLimits.defaults().withSessionStarts(2, 3_000));
        String[] first = new String[1];
        GatewayProbe a = identified(first);
        GatewayProbe b = identified(new String[1]);
        GatewayProbe third = ProbeFrames.connect(sim);
        third.send(ProbeFrames.identify(TOKEN, 0, 1, "513"));
        assertEquals(4004, third.closeCode(), "identify past the limit");
        assertEquals(4004, a.closeCode(), "every session of the bot ends");
        assertEquals(4004, b.closeCode(), "every session of the bot ends");
        assertEquals(401, gatewayBot().statusCode(), "the token was reset");
        GatewayProbe resume = ProbeFrames.connect(sim);
        resume.send("{\"op\":6,\"d\":{\"token\":\"" + TOKEN + "\",\"session_id\":\"" + first[0] + "\",\"seq\":1}}");
        assertEquals(4004, resume.closeCode(), "the old token cannot resume either");
        Thread.sleep(3_500);
        String refilled = gatewayBot().body();
        assertEquals(2, ProbeFrames.number(refilled, "remaining"), refilled);
        identified(new String[1]);
    }
}
