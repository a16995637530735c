package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Session lifetime as Discord keeps it: which closes end a session, how long a dropped one stays resumable. */
class SimulatorSessionTest {
    private static final String TOKEN = "probe-token";
    private Simulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

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
}
