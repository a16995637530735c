package dev.gatehouse.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.pipeline.DispatchSink;
import dev.gatehouse.pipeline.GuildKind;
import dev.gatehouse.pipeline.Session;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The hand-over's alignment on frames as the two shard sets get them: the same {@code d} under different seqs.
 * A sink that records what reached the ring stands in for the ring.
 */
class HandOverTest {
    private static final long G = 5L << 22; // on shard 0 of 1 and of 2
    private static final long MS = 1_000_000L;

    private final List<String> ring = new ArrayList<>();
    private final DispatchSink recording = (shard, session, seq, type, guild, kind, buf, off, len, at) -> {
        ring.add(shard + ":" + seq + ":" + new String(buf, off, len, StandardCharsets.UTF_8).replaceAll(".*\"d\":", ""));
        return true;
    };
    private final Session oldSession = new Session("old", "ws://x", 1, "ws://x");
    private final Session newSession = new Session("new", "ws://x", 2, "ws://x");

    private static byte[] frame(String type, long seq, String d) {
        return ("{\"t\":\"" + type + "\",\"s\":" + seq + ",\"op\":0,\"d\":" + d + "}").getBytes(StandardCharsets.UTF_8);
    }

    private void old(HandOver h, long seq, String d, long atMs) {
        byte[] f = frame("PRESENCE_UPDATE", seq, d);
        assertTrue(h.oldSide.tryPublish(0, oldSession, seq, "PRESENCE_UPDATE", G, GuildKind.NONE, f, 0, f.length, atMs * MS));
    }

    private void fresh(HandOver h, long seq, String d, long atMs) {
        byte[] f = frame("PRESENCE_UPDATE", seq, d);
        assertTrue(h.newSide.tryPublish(0, newSession, seq, "PRESENCE_UPDATE", G, GuildKind.NONE, f, 0, f.length, atMs * MS));
    }

    private void old(HandOver h, String type, GuildKind kind, long seq, String d, long atMs) {
        byte[] f = frame(type, seq, d);
        assertTrue(h.oldSide.tryPublish(0, oldSession, seq, type, G, kind, f, 0, f.length, atMs * MS));
    }

    private void fresh(HandOver h, String type, GuildKind kind, long seq, String d, long atMs) {
        byte[] f = frame(type, seq, d);
        assertTrue(h.newSide.tryPublish(0, newSession, seq, type, G, kind, f, 0, f.length, atMs * MS));
    }

    private void ready(HandOver h) {
        byte[] f = frame("READY", 1, "{\"session_id\":\"new\",\"guilds\":[]}");
        h.newSide.tryPublish(0, newSession, 1, "READY", 0, GuildKind.NONE, f, 0, f.length, 0);
    }

    @Test
    void aRepeatedPayloadBeforeTheNewSetStartedIsNotTakenForItsFirstEvent() {
        HandOver h = new HandOver(recording, recording, 1, shard -> true);
        ready(h);
        old(h, 10, "{\"s\":\"online\"}", 1_000); // before the new set started: the same payload as its first event
        old(h, 11, "{\"s\":\"idle\"}", 1_400);
        old(h, 12, "{\"s\":\"online\"}", 2_000);
        fresh(h, 2, "{\"s\":\"online\"}", 2_010); // the world's third event, 10 ms behind the old set
        h.hold();
        fresh(h, 3, "{\"s\":\"dnd\"}", 2_500);
        h.sessions();
        h.goLive();
        List<String> fromNew = ring.stream().filter(e -> e.startsWith("0:3")).toList();
        assertEquals(List.of("0:3:{\"s\":\"dnd\"}}"), fromNew, "only the event after the old record passes: " + ring);
        assertEquals(4, ring.size(), "three from the old set, one from the new: " + ring);
    }

    @Test
    void twoIdenticalEventsAreCountedNotMerged() {
        HandOver h = new HandOver(recording, recording, 1, shard -> true);
        ready(h);
        old(h, 10, "{\"typing\":1}", 1_000);
        old(h, 11, "{\"typing\":1}", 1_001);
        fresh(h, 2, "{\"typing\":1}", 1_005);
        fresh(h, 3, "{\"typing\":1}", 1_006);
        fresh(h, 4, "{\"typing\":1}", 1_007); // a third one the old set never got
        h.hold();
        List<Reshard.NewSession> sessions = h.sessions();
        h.goLive();
        assertEquals(3, ring.size(), "two from the old set and the third from the new: " + ring);
        assertTrue(ring.get(2).startsWith("0:4:"), ring.toString());
        Reshard.NewSession s = sessions.get(0);
        assertEquals(3, s.mark(), "READY and the two dropped typings: a restart resumes after them");
        assertTrue(SkipFilter.skipped(s.skipRanges(), 2) && !SkipFilter.skipped(s.skipRanges(), 4), java.util.Arrays.toString(s.skipRanges()));
    }

    @Test
    void theOldSetIsHeldAtTheSwitchAndDiscardedAfter() {
        HandOver h = new HandOver(recording, recording, 1, shard -> true);
        h.hold();
        byte[] f = frame("PRESENCE_UPDATE", 20, "{}");
        assertEquals(false, h.oldSide.tryPublish(0, oldSession, 20, "PRESENCE_UPDATE", G, GuildKind.NONE, f, 0, f.length, 0),
                "held: the old shard keeps it until the switch is committed or abandoned");
        h.sessions();
        h.goLive();
        assertEquals(true, h.oldSide.tryPublish(0, oldSession, 20, "PRESENCE_UPDATE", G, GuildKind.NONE, f, 0, f.length, 0));
        assertEquals(List.of(), ring, "after the switch the new set has it");
    }

    /**
     * A guild joined while the new set loaded: its GUILD_CREATE is its only recorded event, and it reaches the new
     * set two seconds after the old one (a starved machine), far outside any arrival-time tolerance. The join
     * happens once in the world, so it fixes the alignment by itself: dropped, not delivered twice.
     */
    @Test
    void aJoinTheNewSetGetsLateIsAlignedByItselfNotByArrivalTime() {
        HandOver h = new HandOver(recording, recording, 1, shard -> true);
        ready(h);
        old(h, "GUILD_CREATE", GuildKind.JOIN, 10, "{\"id\":\"5\",\"joined_at\":\"t1\"}", 1_000);
        h.hold();
        fresh(h, "GUILD_CREATE", GuildKind.JOIN, 2, "{\"id\":\"5\",\"joined_at\":\"t1\"}", 3_000);
        fresh(h, 3, "{\"s\":\"online\"}", 3_010);
        h.sessions();
        h.goLive();
        assertEquals(List.of("0:10:{\"id\":\"5\",\"joined_at\":\"t1\"}}", "0:3:{\"s\":\"online\"}}"), ring,
                "the join once (from the old set), then the presence the old set never got");
    }

    /**
     * The new stream begins with a presence that also came before it (two candidates), and arrives late; the message
     * after it, which happens once, says where the streams meet: only what follows the old record passes.
     */
    @Test
    void aMessageInTheOverlapFixesTheAlignmentOfRepeatedPresencesBeforeIt() {
        HandOver h = new HandOver(recording, recording, 1, shard -> true);
        ready(h);
        old(h, 10, "{\"s\":\"online\"}", 1_000);
        old(h, 11, "{\"s\":\"online\"}", 1_100);
        old(h, "MESSAGE_CREATE", GuildKind.NONE, 12, "{\"id\":\"77\"}", 1_200);
        h.hold();
        fresh(h, 2, "{\"s\":\"online\"}", 2_600);
        fresh(h, "MESSAGE_CREATE", GuildKind.NONE, 3, "{\"id\":\"77\"}", 2_700);
        fresh(h, 4, "{\"s\":\"idle\"}", 2_800);
        h.sessions();
        h.goLive();
        assertEquals(List.of("0:4:{\"s\":\"idle\"}}"), ring.stream().filter(e -> !e.startsWith("0:1")).toList(),
                "the new set's presence and message were the old set's last two: " + ring);
        assertEquals(4, ring.size(), ring.toString());
    }

    private static void send(DispatchSink side, Session session, long guild, String type, long seq, String d, long atMs) {
        byte[] f = frame(type, seq, d);
        assertTrue(side.tryPublish(0, session, seq, type, guild, GuildKind.NONE, f, 0, f.length, atMs * MS));
    }

    /**
     * A guild with only repeated presences: its own events cannot say where the streams meet, and the arrival
     * times mislead (the old shard was slow for a moment). A message of another guild the two shards share orders it: the
     * presence before the message on the new shard was recorded, and so was the one after it on the old shard.
     */
    @Test
    void aGuildOfRepeatedPresencesIsAlignedByAnotherGuildsMessageOnTheSameShards() {
        long other = 7L << 22;
        HandOver h = new HandOver(recording, recording, 1, shard -> true);
        ready(h);
        String on = "{\"s\":\"online\"}";
        send(h.oldSide, oldSession, G, "PRESENCE_UPDATE", 10, on, 1_000); // before the new session began
        send(h.oldSide, oldSession, G, "PRESENCE_UPDATE", 11, on, 1_100);
        // the old shard was slow for a moment: the lag the message measures (1450 ms) misleads for the presences
        send(h.oldSide, oldSession, other, "MESSAGE_CREATE", 12, "{\"id\":\"77\"}", 1_700);
        send(h.oldSide, oldSession, G, "PRESENCE_UPDATE", 13, on, 1_750);
        h.hold();
        send(h.newSide, newSession, G, "PRESENCE_UPDATE", 2, on, 3_100);
        send(h.newSide, newSession, other, "MESSAGE_CREATE", 3, "{\"id\":\"77\"}", 3_150);
        send(h.newSide, newSession, G, "PRESENCE_UPDATE", 4, on, 3_200);
        send(h.newSide, newSession, G, "PRESENCE_UPDATE", 5, "{\"s\":\"idle\"}", 3_300);
        h.sessions();
        h.goLive();
        assertEquals(List.of("0:5:{\"s\":\"idle\"}}"), ring.stream().filter(e -> !e.startsWith("0:1")).toList(),
                "only the presence after the old record passes: " + ring);
    }
}
