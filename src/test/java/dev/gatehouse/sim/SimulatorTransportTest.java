package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Transport faults seen on the wire by a client that reads raw frames: messages fragmented into continuation
 * frames arrive whole, a slow frame arrives whole with later messages behind it, and a frame cut mid-way ends the
 * connection while the session resumes with every dispatch, the cut one included.
 */
class SimulatorTransportTest {
    private static final String TOKEN = "transport-token";
    private Simulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    private Simulator start(SimSetup setup, int rate) throws Exception {
        sim = new Simulator(SimOptions.defaults().withWorld(1, 12, 30).withTraffic(rate).withToken(TOKEN)
                .withLimits(16, 0, 41250, 2500, true), setup);
        return sim;
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Connects, reads Hello, identifies as shard 0 of 1 and reads READY and every GUILD_CREATE; returns them. */
    private List<RawGatewaySocket.Message> identify(RawGatewaySocket c) throws Exception {
        assertEquals(10, number(c.nextMessage().text(), "op"), "Hello first");
        c.send("{\"op\":2,\"d\":{\"token\":\"" + TOKEN + "\",\"intents\":513,\"properties\":{\"os\":\"linux\","
                + "\"browser\":\"raw\",\"device\":\"raw\"},\"shard\":[0,1]}}");
        long guilds = sim.onWorld(w -> (long) w.guildIds().size());
        List<RawGatewaySocket.Message> out = new ArrayList<>();
        for (long s = 1; s <= guilds + 1; s++) {
            RawGatewaySocket.Message m = c.nextMessage();
            assertEquals(s, number(m.text(), "s"), "dispatches in seq order");
            assertTrue(m.text().endsWith("}"), "whole message");
            out.add(m);
        }
        return out;
    }

    @Test
    void fragmentedMessagesArriveAsContinuationFramesAndWhole() throws Exception {
        start(SimSetup.NONE.withFrames(new FrameFaults(100, 0, 0, 0)), 0);
        try (RawGatewaySocket c = new RawGatewaySocket(sim)) {
            List<RawGatewaySocket.Message> ms = identify(c);
            for (RawGatewaySocket.Message m : ms) {
                int bytes = m.text().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                assertEquals((bytes + 99) / 100, m.frames(), "frames of at most 100 bytes: " + m.text().substring(0, 40));
            }
            assertTrue(ms.getFirst().text().startsWith("{\"t\":\"READY\""), ms.getFirst().text());
        }
    }

    @Test
    void aSplitOnDemandSendsTheNextMessageInThatManyFrames() throws Exception {
        start(SimSetup.NONE, 0);
        try (RawGatewaySocket c = new RawGatewaySocket(sim)) {
            identify(c);
            sim.splitNextMessage(0, 4);
            sim.requestHeartbeat(0);
            sim.requestReconnect(0);
            RawGatewaySocket.Message split = c.nextMessage();
            assertEquals(1, number(split.text(), "op"), split.text());
            assertEquals(4, split.frames());
            RawGatewaySocket.Message after = c.nextMessage();
            assertEquals(7, number(after.text(), "op"), after.text());
            assertEquals(1, after.frames(), "only the next message is split");
        }
    }

    @Test
    void aSlowFrameArrivesInPiecesWholeAndLaterMessagesWaitBehindIt() throws Exception {
        start(SimSetup.NONE, 0);
        try (RawGatewaySocket c = new RawGatewaySocket(sim)) {
            identify(c);
            sim.slowNextMessage(0, 5, 150);
            sim.requestHeartbeat(0);
            sim.requestReconnect(0);
            RawGatewaySocket.Message slow = c.nextMessage();
            assertEquals(1, number(slow.text(), "op"), slow.text());
            assertEquals(1, slow.frames(), "one frame, written in pieces");
            assertTrue(slow.reads() >= 2, "the frame's bytes came in pieces (" + slow.reads() + " socket reads)");
            assertEquals(7, number(c.nextMessage().text(), "op"), "the next message waited behind the slow frame");
        }
    }

    @Test
    void aCutFrameDropsTheConnectionAndTheSessionResumesWithNothingLost() throws Exception {
        start(SimSetup.NONE, 20);
        long lastWhole;
        String sessionId;
        try (RawGatewaySocket c = new RawGatewaySocket(sim)) {
            List<RawGatewaySocket.Message> ms = identify(c);
            sessionId = ms.getFirst().text().replaceAll(".*\"session_id\":\"([0-9a-f]+)\".*", "$1");
            lastWhole = ms.size();
            sim.cutNextMessage(0);
            sim.startTraffic();
            EOFException cut = assertThrows(EOFException.class, () -> {
                while (true) {
                    c.nextMessage();
                }
            });
            assertTrue(cut.getMessage().contains("inside a frame"), cut.getMessage());
        }
        sim.stopTraffic();
        GatewaySession session = sim.sessions().getFirst();
        long sent = session.count();
        assertTrue(sent > lastWhole, "the cut message was a dispatch the session sent");
        GatewayProbe again = GatewayProbe.open(sim, "v=10&encoding=json");
        assertEquals(10, number(again.next(), "op"));
        again.send("{\"op\":6,\"d\":{\"token\":\"" + TOKEN + "\",\"session_id\":\"" + sessionId + "\",\"seq\":" + lastWhole + "}}");
        for (long s = lastWhole + 1; s <= sent; s++) {
            String m = again.next();
            assertEquals(s, number(m, "s"), "replayed in order, the cut one first: " + m);
        }
        String resumed = again.next();
        assertTrue(resumed.contains("\"t\":\"RESUMED\""), resumed);
        again.close();
    }
}
