package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.delivery.Overflow;
import dev.gatehouse.delivery.Forwarder;
import dev.gatehouse.pipeline.Controllers;
import dev.gatehouse.pipeline.Dispatch;
import dev.gatehouse.pipeline.EventRing;
import dev.gatehouse.pipeline.GatewayFilters;
import dev.gatehouse.pipeline.Handled;
import dev.gatehouse.pipeline.Session;
import dev.gatehouse.state.Database;
import com.lmax.disruptor.EventHandler;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Adaptive batching through the real ring, forwarder, lanes and HTTP client, to a real bot over loopback with
 * dead letters in a real PostgreSQL: an idle stream goes one event per request; a backlog goes in JSON arrays of
 * what is waiting, up to what the bot asked for with {@code Gatehouse-Batch}, and only when it asked; refusals
 * and held answers in the middle of a batch keep per-shard order and exactly-once, refused events becoming dead
 * letters one by one. With {@code delivery.lingerMs} a batching bot gets what arrives while its lane lingers in one POST
 * (a lone event still arrives), and a bot taking one event per POST gets exactly what it got without it; the linger there
 * is long (a second) so that a slow machine cannot make the events miss it, and no duration is asserted.
 */
class BatchDeliveryTest {
    private static final int SHARDS = 4;
    private static final Session[] SESSIONS = new Session[SHARDS];

    static {
        for (int i = 0; i < SHARDS; i++) {
            SESSIONS[i] = new Session("batch-session-" + i, "ws://test", SHARDS, "ws://test");
        }
    }

    private TestBot bot;
    private Database db;
    private Forwarder forwarder;
    private EventRing ring;
    private final long[] seqs = new long[SHARDS];

    @BeforeEach
    void start() throws Exception {
        bot = new TestBot("batch-secret");
        db = Database.open(TestPostgres.freshDatabase(), TestPostgres.server().user(), "", 2);
        lanes(0);
    }

    /** The ring and forwarder (two lanes) with this {@code delivery.lingerMs}. */
    private void lanes(long lingerMs) {
        forwarder = new Forwarder(new Forwarder.Settings(URI.create(bot.url()), "batch-secret", 100_000, Long.MAX_VALUE,
                Path.of("unused-spill"), 0, Overflow.BLOCK, 1, 1000, 2, 10_000, lingerMs), Handled.none(), db.dataSource(),
                GatewayFilters.none(), Controllers.none());
        EventHandler<Dispatch> noState = (d, s, end) -> { };
        ring = new EventRing(1024, noState, forwarder, true);
    }

    private void closeLanes() {
        ring.shutdown(5_000);
        forwarder.close(1_000);
    }

    @AfterEach
    void stop() {
        closeLanes();
        db.close();
        bot.close();
    }

    @Test
    void aBatchingBotGetsWhatCameWithinTheLingerInOnePost() throws Exception {
        closeLanes();
        lanes(1_000);
        bot.askForBatches(100);
        publishAndAwait(0); // the answer carries the header: batches from now on
        publishAndAwait(0);
        assertEquals(List.of(-1, 1), bot.requestSizes(), "an object, then a lone event still arrives (an array of one)");
        assertTrue(forwarder.lingers() >= 1, "the lane lingered before the lone event's POST");
        for (int i = 0; i < 10; i++) {
            publish(0);
        }
        Harness.await("the ten events to arrive", 30_000, () -> bot.count() == 12, () -> "received " + bot.count());
        List<Integer> sizes = bot.requestSizes().subList(2, bot.requestSizes().size());
        assertEquals(10, sizes.stream().mapToInt(Integer::intValue).sum(), "the ten events, each once: " + sizes);
        assertTrue(sizes.size() < 10, "events arriving within the linger share POSTs: " + sizes);
        assertEquals(bot.requestSizes().size(), forwarder.posts(), "every POST counted");
        assertEquals(12, forwarder.eventsPosted());
        assertInOrderOnce(Map.of(), 12);
    }

    @Test
    void aBotTakingOneEventPerPostGetsObjectsAndNoLinger() throws Exception {
        closeLanes();
        lanes(1_000);
        for (int i = 0; i < 20; i++) {
            publish(i % SHARDS);
        }
        Harness.await("the events to arrive", 30_000, () -> bot.count() == 20, () -> "received " + bot.count());
        assertTrue(bot.requestSizes().stream().allMatch(n -> n == -1), "one object per POST: " + bot.requestSizes());
        assertEquals(0, forwarder.lingers(), "one event per POST never waits");
        assertInOrderOnce(Map.of(), 20);
    }

    @Test
    void anIdleStreamGoesOneEventPerRequestAndObjectsUntilTheBotAsks() throws Exception {
        for (int i = 0; i < 20; i++) {
            publishAndAwait(i % SHARDS);
        }
        assertTrue(bot.requestSizes().stream().allMatch(n -> n == -1), "one object per request: " + bot.requestSizes());
        bot.askForBatches(100);
        for (int i = 0; i < 20; i++) {
            publishAndAwait(i % SHARDS);
        }
        List<Integer> asked = bot.requestSizes().subList(21, 40); // request 21 (an object) got the first header
        assertTrue(asked.stream().allMatch(n -> n == 1), "idle: one event per request, an array once asked: " + asked);
        assertInOrderOnce(Map.of(), 40);
    }

    @Test
    void aBacklogGoesOneObjectPerRequestWhenTheBotDidNotAsk() throws Exception {
        backlog(400);
        assertTrue(bot.requestSizes().stream().allMatch(n -> n == -1), "never an array: " + bot.requestSizes());
        assertInOrderOnce(Map.of(), 401);
    }

    @Test
    void aBacklogGoesInBatchesUpToWhatTheBotAsked() throws Exception {
        bot.askForBatches(50);
        backlog(1000);
        List<Integer> sizes = bot.requestSizes();
        assertTrue(sizes.stream().skip(1).allMatch(n -> n >= 1 && n <= 50), "arrays of at most 50: " + sizes);
        assertTrue(sizes.size() < 100, "1001 events in a few requests (arrays of what waits): " + sizes.size() + " " + sizes);
        assertInOrderOnce(Map.of(), 1001);
    }

    @Test
    void aBotRedeployedWithoutArraysGetsObjectsAgainAndNothingIsSetAside() throws Exception {
        bot.askForBatches(100);
        publishAndAwait(0);
        publishAndAwait(1); // an array of one: the bot asked
        bot.askForBatches(0);
        bot.refuseArrays(true); // the new version takes objects only, and says nothing of batches
        for (int i = 0; i < 10; i++) {
            publishAndAwait(i % SHARDS);
        }
        backlog(200);
        assertEquals(0, forwarder.refused(), "nothing became a dead letter for its shape");
        assertTrue(bot.refusedRequests() >= 1, "the first array after the redeploy was refused");
        List<Integer> sizes = bot.requestSizes();
        assertEquals(1, sizes.get(1), "before the redeploy: an array of one");
        assertTrue(sizes.subList(2, sizes.size()).stream().allMatch(n -> n == -1), "after it, objects only: " + sizes);
        assertInOrderOnce(Map.of(), 213);
    }

    @Test
    void refusalsAndHoldsInTheMiddleOfBatchesKeepOrderAndExactlyOnce() throws Exception {
        bot.askForBatches(100);
        bot.refuse(r -> r.seq() % 37 == 5);
        bot.holdOnce(r -> r.seq() % 37 == 9 || r.seq() % 101 == 50); // a hold after a refusal in one batch, and alone
        backlog(1200);
        Map<Integer, TreeSet<Long>> refused = new TreeMap<>();
        for (int shard = 0; shard < SHARDS; shard++) {
            for (long s = 1; s <= seqs[shard]; s++) {
                if (s % 37 == 5) {
                    refused.computeIfAbsent(shard, k -> new TreeSet<>()).add(s);
                }
            }
        }
        int expectedRefused = refused.values().stream().mapToInt(TreeSet::size).sum();
        Harness.await("every refused event to be a dead letter", 30_000, () -> forwarder.refused() == expectedRefused,
                () -> "refused " + forwarder.refused() + " of " + expectedRefused);
        assertTrue(bot.refusedRequests() > expectedRefused, "batches holding a refused event were refused whole first");
        assertTrue(bot.heldRequests() > 0, "answers were held in the middle of the stream");
        assertTrue(bot.requestSizes().stream().anyMatch(n -> n > 1), "there were batches: " + bot.requestSizes());
        assertInOrderOnce(refused, 1201 - expectedRefused);
        Map<Integer, TreeSet<Long>> letters = new TreeMap<>();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT shard_id, seq FROM gatehouse_dead_letter")) {
            while (rs.next()) {
                letters.computeIfAbsent(rs.getInt(1), k -> new TreeSet<>()).add(rs.getLong(2));
            }
        }
        assertEquals(refused, letters, "exactly the refused events are dead letters, each once");
    }

    /** One event first (so the bot's answer is known), then the bot holds while {@code n} events queue, then it answers. */
    private void backlog(int n) throws Exception {
        publishAndAwait(0);
        bot.answerAll(503, "");
        for (int i = 0; i < n; i++) {
            publish(i % SHARDS);
        }
        Harness.await("the backlog to be queued", 30_000, () -> forwarder.queued() == n && forwarder.retries() > 0,
                () -> "queued " + forwarder.queued());
        bot.answerAll(0, "");
        Harness.await("the backlog to be taken", 60_000, () -> forwarder.queued() == 0, () -> "queued " + forwarder.queued());
    }

    private void publish(int shard) {
        byte[] frame = ("{\"op\":0,\"s\":" + ++seqs[shard] + ",\"t\":\"MESSAGE_CREATE\",\"d\":{\"content\":\"event "
                + seqs[shard] + "\"}}").getBytes(StandardCharsets.UTF_8);
        ring.publish(shard, SESSIONS[shard], seqs[shard], "MESSAGE_CREATE", 0, frame, 0, frame.length, System.nanoTime());
    }

    private void publishAndAwait(int shard) throws Exception {
        int before = bot.count();
        publish(shard);
        Harness.await("the event to arrive", 30_000, () -> bot.count() == before + 1, () -> "received " + before);
    }

    /** Every shard's events arrived once, in seq order, except the refused ones; {@code total} in all. */
    private void assertInOrderOnce(Map<Integer, TreeSet<Long>> refused, int total) {
        Map<Integer, List<Long>> got = new TreeMap<>();
        bot.byShard().forEach((shard, events) -> got.put(shard, events.stream().map(TestBot.Received::seq).toList()));
        for (int shard = 0; shard < SHARDS; shard++) {
            TreeSet<Long> skip = refused.getOrDefault(shard, new TreeSet<>());
            List<Long> want = new ArrayList<>();
            for (long s = 1; s <= seqs[shard]; s++) {
                if (!skip.contains(s)) {
                    want.add(s);
                }
            }
            assertEquals(want, got.getOrDefault(shard, List.of()), "shard " + shard + ": every event once, in order");
        }
        assertEquals(total, bot.count());
    }
}
