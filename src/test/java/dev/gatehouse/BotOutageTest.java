package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The bot goes away for seconds under a steady stream and comes back: nothing is lost, order is kept. */
class BotOutageTest {

    @Test
    void eventsWaitWhileTheBotIsDownAndArriveInOrderWhenItReturns() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 100, 300), "--delivery.connections=2")) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(1_000);
            h.bot.stop();
            Thread.sleep(300); // requests that were in progress at the stop finish
            long atStop = h.bot.count();
            Thread.sleep(4_000);
            assertEquals(atStop, h.bot.count(), "nothing arrives while the bot is down");
            assertTrue(h.gatehouse.delivery().queued() > 0, "events are held while the bot is down");
            h.bot.start();
            Thread.sleep(1_000);
            h.sim.stopTraffic();
            h.awaitDelivered();
            Thread.sleep(300);
            h.assertNothingLostInOrder();
            assertTrue(h.gatehouse.delivery().retries() > 0, "deliveries were retried");
            assertEquals(0, h.gatehouse.delivery().dropped());
        }
    }

    @Test
    void batchedDeliverySurvivesAnOutageToo() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 100, 300), "--delivery.batchSize=50")) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(500);
            h.bot.stop();
            Thread.sleep(2_500);
            h.bot.start();
            h.sim.stopTraffic();
            h.awaitDelivered();
            Thread.sleep(300);
            h.assertNothingLostInOrder();
        }
    }

    @Test
    void atTheBoundTheConfiguredPolicyDropsAndCountsNeverSilently() throws Exception {
        try (Harness h = new Harness(Harness.world(1, 20, 500), "--delivery.maxQueued=50",
                "--delivery.overflow=drop-oldest", "--delivery.afterState=false", "--delivery.maxSpilledBytes=0")) {
            h.awaitLoaded();
            h.bot.stop();
            h.sim.startTraffic();
            Harness.await("the queue to overflow", 30_000, () -> h.gatehouse.delivery().dropped() > 0,
                    () -> h.gatehouse.statusLine(0));
            assertTrue(h.gatehouse.delivery().queued() <= 50, "the bound holds");
            h.sim.stopTraffic();
            h.bot.start();
            // the dispatches and Gatehouse's two signals of its one shard (GATEHOUSE_SHARD_LOADED, GATEHOUSE_ALL_LOADED)
            long sent = h.sim.dispatched() + 2;
            java.util.function.LongSupplier accounted = () -> h.bot.distinct()
                    + h.bot.signals().stream().map(p -> p.event().type()).distinct().count() + h.gatehouse.delivery().dropped();
            Harness.await("the rest to arrive", 30_000, () -> accounted.getAsLong() >= sent, () -> h.gatehouse.statusLine(0));
            // distinct: a request the bot took while stopping, whose answer was lost, is sent again (at least once)
            assertEquals(sent, accounted.getAsLong(), "every event is delivered or counted as dropped");
        }
    }
}
