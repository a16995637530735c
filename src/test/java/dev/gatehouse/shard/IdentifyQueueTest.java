package dev.gatehouse.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gatehouse.discord.GatewayBot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The identify queue's decisions, recorded in the order they happen: turns, ledger claims, limit refreshes. */
class IdentifyQueueTest {
    private final List<String> events = new ArrayList<>();

    private synchronized void record(String e) {
        events.add(e);
    }

    private synchronized List<String> events() {
        return new ArrayList<>(events);
    }

    private void awaitEvents(int n) throws InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        while (events().stream().filter(e -> e.startsWith("grant")).count() < n) {
            if (System.nanoTime() > end) {
                fail("only " + events());
            }
            Thread.sleep(10);
        }
    }

    private static GatewayBot limit(int remaining, long resetAfterMs, int maxConcurrency) {
        return new GatewayBot("ws://127.0.0.1:1", 4, 1000, remaining, resetAfterMs, maxConcurrency);
    }

    @Test
    void whenTheDailyStartLimitRunsOutTheRestWaitForItsResetAndAskDiscordAgain() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        IdentifyQueue.StartLimit discord = () -> {
            record("refresh");
            // first: still used up, resetting in 300 ms; after the reset: identifies left
            return asked.incrementAndGet() == 1 ? limit(0, 300, 1) : limit(10, 86_400_000, 1);
        };
        try (IdentifyQueue q = new IdentifyQueue(1, 0, IdentifyQueue.LOCAL, limit(2, 300, 1), discord)) {
            for (int shard = 0; shard < 4; shard++) {
                int s = shard;
                q.request(s, () -> record("grant " + s));
            }
            awaitEvents(4);
        }
        assertEquals(List.of("grant 0", "grant 1", "refresh", "refresh", "grant 2", "grant 3"), events(),
                "ask Discord when the count runs out, wait for the reset it names, ask again");
    }

    @Test
    void aTurnTakenByAnotherProcessIsWaitedFor() throws Exception {
        AtomicInteger claims = new AtomicInteger();
        IdentifyQueue.Ledger shared = new IdentifyQueue.Ledger() {
            @Override
            public long claim(int bucket, int maxConcurrency, long intervalMs) {
                int n = claims.incrementAndGet();
                record("claim " + bucket + (n == 1 ? " taken elsewhere" : " ok"));
                return n == 1 ? 100 : 0;
            }

            @Override
            public void sent(int bucket, int maxConcurrency) {
                record("sent " + bucket);
            }
        };
        try (IdentifyQueue q = new IdentifyQueue(1, 1000, shared, limit(100, 0, 1), IdentifyQueue.StartLimit.NONE)) {
            q.request(0, () -> record("grant 0"));
            awaitEvents(1);
            q.sent(0);
            Thread.sleep(100);
        }
        assertEquals(List.of("claim 0 taken elsewhere", "claim 0 ok", "grant 0", "sent 0"), events());
    }

    @Test
    void bucketsAreServedInOrderOneTurnEachPerInterval() throws Exception {
        try (IdentifyQueue q = new IdentifyQueue(2, 300, IdentifyQueue.LOCAL, limit(100, 0, 2), IdentifyQueue.StartLimit.NONE)) {
            for (int shard : new int[] {3, 2, 1, 0}) {
                q.request(shard, () -> record("grant " + shard));
            }
            awaitEvents(4);
        }
        // shards 3 and 1 share bucket 1, shards 2 and 0 bucket 0; each bucket grants in request order
        List<String> got = events();
        assertEquals(List.of("grant 2", "grant 3"), got.subList(0, 2).stream().sorted().toList(), "first turn of each bucket");
        assertEquals(List.of("grant 0", "grant 1"), got.subList(2, 4).stream().sorted().toList(), "second turn of each bucket");
    }
}
