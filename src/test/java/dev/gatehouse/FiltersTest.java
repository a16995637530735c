package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.sim.GatewaySession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The gateway filters in front of the bot, the envelope's guild kinds and the loaded signals. */
class FiltersTest {

    private static long guildEvents(TestBot bot, String kind, long guildId) {
        return bot.guildEvents().stream()
                .filter(p -> p.kind().equals(kind) && String.valueOf(guildId).equals(p.d().get("id"))).count();
    }

    private static long signals(TestBot bot, String type, int shard) {
        return bot.signals().stream().filter(p -> p.event().type().equals(type)
                && (shard < 0 || String.valueOf(shard).equals(p.d().get("shard_id")))).count();
    }

    @Test
    void unfurlUpdatesAreNotDeliveredContentEditsAreAndTheStateKeepsBoth() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 30, 600), "--filters.editedMessages=true",
                "--delivery.skipEvents=PRESENCE_UPDATE,TYPING_START")) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(4_000);
            h.sim.stopTraffic();
            Map<Integer, List<TestBot.Received>> expected = new TreeMap<>();
            int sentUpdates = 0;
            int sentPresences = 0;
            Harness.await("every dispatch to be received", 60_000, () -> h.gatehouse.dispatches() >= h.sim.dispatched(),
                    () -> h.gatehouse.statusLine(0));
            for (GatewaySession s : h.sim.sessions()) {
                for (GatewaySession.Sent sent : s.sent()) {
                    switch (sent.type()) {
                        case "MESSAGE_UPDATE" -> sentUpdates++;
                        case "PRESENCE_UPDATE", "TYPING_START" -> sentPresences++;
                        default -> expected.computeIfAbsent(s.shardId(), k -> new ArrayList<>())
                                .add(new TestBot.Received(s.shardId(), s.id(), sent.seq(), sent.type()));
                    }
                }
            }
            long notForTheBot = sentPresences;
            Harness.await("the rest to arrive", 60_000,
                    () -> h.bot.count() + h.gatehouse.delivery().filters().skippedEdits() >= h.sim.dispatched() - notForTheBot,
                    () -> h.gatehouse.statusLine(0));
            Thread.sleep(500);
            long skipped = h.gatehouse.delivery().filters().skippedEdits();
            Map<Integer, List<TestBot.Received>> got = new TreeMap<>();
            int deliveredUpdates = 0;
            for (Map.Entry<Integer, List<TestBot.Received>> e : h.bot.byShard().entrySet()) {
                List<TestBot.Received> rest = new ArrayList<>();
                for (TestBot.Received r : e.getValue()) {
                    assertFalse(r.type().equals("PRESENCE_UPDATE") || r.type().equals("TYPING_START"), "skipped type delivered: " + r);
                    if (r.type().equals("MESSAGE_UPDATE")) {
                        deliveredUpdates++;
                    } else {
                        rest.add(r);
                    }
                }
                got.put(e.getKey(), rest);
            }
            assertEquals(expected, got, "every other event, in per-shard order");
            assertTrue(sentPresences > 0 && sentUpdates > 10, "the traffic had presences and updates");
            assertTrue(skipped > 0, "unfurls were filtered");
            assertTrue(deliveredUpdates > 0, "content edits were delivered");
            assertEquals(sentUpdates, deliveredUpdates + skipped, "every update was delivered or filtered");
            assertTrue(h.gatehouse.delivery().filters().skippedTypes() >= sentPresences);
            // each delivered update changed the content the bot had seen for that message
            Map<String, String> content = new HashMap<>();
            for (TestBot.Parsed p : h.bot.messages()) {
                String before = content.put(p.d().get("id"), p.d().get("content"));
                if (p.event().type().equals("MESSAGE_UPDATE") && before != null) {
                    assertNotEquals(before, p.d().get("content"), "an update that did not change the content was delivered: " + p);
                }
            }
            assertTrue(h.count("SELECT count(*) FROM presences") > 0, "the state still stores the skipped types");
            // the shutdown summary adds up: what came in is what went out, was filtered, or is still queued
            String summary = h.gatehouse.close(5_000);
            long[] n = Harness.summaryCounts(summary);
            assertEquals(h.sim.dispatched(), n[1], summary);
            assertEquals(skipped + h.gatehouse.delivery().filters().skippedTypes(), n[4], "filtered: " + summary);
            assertEquals(n[1] + n[2], n[3] + n[4] + n[5] + n[6] + n[7] + n[8], "received + signals = the rest: " + summary);
        }
    }

    @Test
    void guildKindsAndLoadedSignalsThroughJoinsOutagesLeavesAndReconnects() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 20, 0))) {
            h.awaitLoaded();
            Harness.await("the loaded signals", 30_000, () -> signals(h.bot, "GATEHOUSE_ALL_LOADED", -1) == 1,
                    () -> h.bot.signals().toString());
            assertEquals(1, signals(h.bot, "GATEHOUSE_SHARD_LOADED", 0));
            assertEquals(1, signals(h.bot, "GATEHOUSE_SHARD_LOADED", 1));
            assertEquals("GATEHOUSE_ALL_LOADED", h.bot.signals().get(2).event().type(), "all loaded comes after both shards");
            assertTrue(h.gatehouse.shards().statuses().stream().allMatch(s -> s.loaded()), "the status says loaded");
            assertEquals(20, h.bot.guildEvents().size());
            assertTrue(h.bot.guildEvents().stream().allMatch(p -> p.kind().equals("load")), "the initial guilds are loads");

            long joined = h.sim.joinGuild();
            Harness.await("the join", 30_000, () -> guildEvents(h.bot, "join", joined) == 1, () -> h.bot.guildEvents().toString());
            long g = h.sim.onWorld(w -> w.guildIds()).stream().filter(id -> id != joined).findFirst().orElseThrow();
            h.sim.guildOutage(g);
            Harness.await("the outage", 30_000, () -> guildEvents(h.bot, "unavailable", g) == 1, () -> h.bot.guildEvents().toString());
            h.sim.guildReturns(g);
            Harness.await("the return", 30_000, () -> guildEvents(h.bot, "available", g) == 1, () -> h.bot.guildEvents().toString());
            h.sim.leaveGuild(joined);
            Harness.await("the leave", 30_000, () -> guildEvents(h.bot, "leave", joined) == 1, () -> h.bot.guildEvents().toString());

            int before = h.bot.guildEvents().size();
            h.sim.dropConnection(0);
            Harness.await("the resume", 60_000, () -> h.sim.resumes() == 1 && h.gatehouse.shards().statuses().get(0).ready(),
                    () -> h.gatehouse.statusLine(0));
            h.sim.invalidateSession(1, false);
            Harness.await("shard 1 to identify and load again", 60_000, () -> signals(h.bot, "GATEHOUSE_SHARD_LOADED", 1) == 2,
                    () -> h.bot.signals().toString());
            List<TestBot.Parsed> after = h.bot.guildEvents().subList(before, h.bot.guildEvents().size());
            assertFalse(after.isEmpty());
            assertTrue(after.stream().allMatch(p -> p.kind().equals("load") && p.event().shardId() == 1),
                    "a resume sends no guilds; a new session loads them again: " + after);
            assertEquals(1, signals(h.bot, "GATEHOUSE_SHARD_LOADED", 0), "a resume is no new load");
            assertEquals(1, signals(h.bot, "GATEHOUSE_ALL_LOADED", -1), "all shards loaded is said once");
            h.awaitLoaded();
        }
    }
}
