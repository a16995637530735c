package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.delivery.Forwarder;
import dev.gatehouse.sim.GatewaySession;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/** The bot's answers mean what HTTP says: whole-endpoint failures hold the stream, per-event refusals set one event aside. */
class BotAnswersTest {

    @Test
    void aWholeEndpoint401HoldsEveryEventAndLogsOncePerOutage() throws Exception {
        try (LogLines log = new LogLines(Class.forName("dev.gatehouse.delivery.Outage"));
             Harness h = new Harness(Harness.world(2, 60, 400), "--delivery.batchSize=20")) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(500);
            h.bot.answerAll(401, "");
            Harness.await("deliveries to be held", 30_000, () -> h.gatehouse.delivery().retries() >= 5, () -> h.gatehouse.statusLine(0));
            Thread.sleep(1_000); // more retries of the same outage: still one warning
            h.bot.answerAll(0, "");
            Harness.await("the first outage to end", 30_000, () -> log.count(Level.INFO, "answers again") == 1, log::all);
            h.bot.answerAll(503, "0.2"); // a second, shorter outage, with Retry-After
            Harness.await("the second outage", 30_000, () -> log.count(Level.WARNING, "not taking events") == 2, log::all);
            Thread.sleep(800); // several Retry-After waits of 0.2 s
            h.bot.answerAll(0, "");
            h.sim.stopTraffic();
            h.awaitDelivered();
            Thread.sleep(300);
            h.assertNothingLostInOrder();
            assertEquals(0, h.gatehouse.delivery().refused(), "nothing was refused: a 401 is about the endpoint, not the event");
            assertEquals(0, h.gatehouse.delivery().dropped());
            assertEquals(2, log.count(Level.WARNING, "not taking events"), "one warning per outage:\n" + log.all());
            assertEquals(2, log.count(Level.INFO, "answers again"), "one end line per outage:\n" + log.all());
            assertTrue(log.all().contains("HTTP 401") && log.all().contains("HTTP 503"), log.all());
        }
    }

    /**
     * A 429 (then a 503) with Retry-After on shard 0's lane holds that lane and retries it, shard 0's events arrive
     * afterwards in order, and shard 1's lane is never held: its requests keep arriving between shard 0's held ones,
     * none of them answered other than 200, none of its events sent twice. How long the lane waited is read from what
     * arrived, not from a clock: while shard 0 waits out Retry-After: 2, shard 1's stream (about 200 events/s in
     * requests of at most 10) needs well over 10 requests, where the lane's own backoff (100 ms) would see two or three.
     */
    @Test
    void aRetryAfterOnOneLaneHoldsThatLaneOnlyAndTheOthersEventsKeepArriving() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 40, 400), "--delivery.connections=2", "--delivery.batchSize=10")) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(500);
            h.bot.holdShard(0, 2, 429, "2");
            Harness.await("shard 0's two 429s", 30_000, () -> h.bot.requests().stream().filter("0:429"::equals).count() == 2,
                    () -> h.bot.requests().toString());
            h.bot.holdShard(0, 1, 503, "2");
            Harness.await("shard 0's 503", 30_000, () -> h.bot.requests().contains("0:503"), () -> h.bot.requests().toString());
            Thread.sleep(3_000); // traffic goes on while shard 0 waits out the last Retry-After
            h.sim.stopTraffic();
            h.awaitDelivered();
            Thread.sleep(300);
            assertEquals(0, h.assertNothingLostInOrder(), "no event was sent twice");
            List<String> requests = h.bot.requests();
            assertEquals(3, requests.stream().filter(r -> r.startsWith("0:") && !r.equals("0:200")).count(), "shard 0 held 3 times");
            assertTrue(requests.stream().filter(r -> r.startsWith("1:")).allMatch("1:200"::equals), "shard 1 never held: " + requests);
            // after each hold of shard 0, shard 1's lane delivered before shard 0's lane was tried again
            for (int i = 0; i < requests.size(); i++) {
                if (requests.get(i).startsWith("0:") && !requests.get(i).equals("0:200")) {
                    int next0 = i + 1;
                    while (next0 < requests.size() && !requests.get(next0).startsWith("0:")) {
                        next0++;
                    }
                    long others = requests.subList(i + 1, next0).stream().filter("1:200"::equals).count();
                    assertTrue(others > 10, "shard 1 delivered " + others + " requests while shard 0 waited out its"
                            + " Retry-After (request " + i + "): " + requests);
                }
            }
            assertEquals(0, h.gatehouse.delivery().refused());
        }
    }

    @Test
    void aRefusedEventGoesToTheDeadLettersAndTheRestArrivesInOrder() throws Exception {
        // a token whose first segment carries a bot id (123456789), as Discord's do: the dead letters carry it
        try (Harness h = new Harness(Harness.world(2, 40, 300).withToken("MTIzNDU2Nzg5.sim.token"), "--delivery.batchSize=10")) {
            h.awaitLoaded();
            h.bot.refuse(r -> r.seq() % 29 == 0);
            h.sim.startTraffic();
            Thread.sleep(2_500);
            h.sim.stopTraffic();
            Set<String> poisoned = new HashSet<>();
            Map<Integer, List<TestBot.Received>> expected = new TreeMap<>();
            Harness.await("every dispatch to be received", 60_000, () -> h.gatehouse.dispatches() >= h.sim.dispatched(),
                    () -> h.gatehouse.statusLine(0));
            for (GatewaySession s : h.sim.sessions()) {
                for (GatewaySession.Sent sent : s.sent()) {
                    if (sent.seq() % 29 == 0) {
                        poisoned.add(s.shardId() + ":" + sent.seq());
                    } else {
                        expected.computeIfAbsent(s.shardId(), k -> new ArrayList<>())
                                .add(new TestBot.Received(s.shardId(), s.id(), sent.seq(), sent.type()));
                    }
                }
            }
            Forwarder f = h.gatehouse.delivery();
            Harness.await("the refused events to be dead-lettered", 60_000, () -> f.refused() >= poisoned.size(),
                    () -> f.refused() + " of " + poisoned.size() + "; " + h.gatehouse.statusLine(0));
            Harness.await("the rest to arrive", 60_000, () -> h.bot.distinct() >= h.sim.dispatched() - poisoned.size(),
                    () -> h.gatehouse.statusLine(0));
            assertEquals(poisoned.size(), f.refused());
            assertEquals(poisoned.size(), h.count("SELECT count(*) FROM gatehouse_dead_letter WHERE status = 400"
                    + " AND answer LIKE '%bad event%' AND event LIKE '{\"shardId\":%' AND application_id = 123456789"));
            Map<Integer, List<TestBot.Received>> got = new TreeMap<>();
            h.bot.byShard().forEach((shard, list) -> {
                Set<Long> seen = new HashSet<>();
                got.put(shard, list.stream().filter(r -> seen.add(r.seq())).toList());
            });
            assertEquals(expected, got, "every event but the refused ones, in per-shard order");
        }
    }
}
