package dev.gatehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.sim.GatewaySession;
import dev.gatehouse.shard.ShardStatus;
import dev.gatehouse.sim.GuildChurn;
import org.junit.jupiter.api.Test;

/**
 * Guilds join, leave and go through outages under a steady stream (with threads and voice events in it): every
 * dispatch still reaches the bot exactly once in order, and the database equals the world, outages included.
 */
class GuildChurnTest {

    @Test
    void joinsLeavesAndOutagesKeepTheDatabaseEqualToTheWorld() throws Exception {
        try (Harness h = new Harness(Harness.world(2, 60, 300).withChurn(new GuildChurn(600, 300, 300, 500)))) {
            h.awaitLoaded();
            h.sim.startTraffic();
            Thread.sleep(4_000);
            h.sim.stopTraffic();
            h.awaitDelivered();
            Thread.sleep(300);
            h.assertExactlyOnceInOrder();
            h.assertDatabaseEqualsWorld();
            long deletes = 0, creates = 0;
            for (GatewaySession s : h.sim.sessions()) {
                for (GatewaySession.Sent d : s.sent()) {
                    deletes += "GUILD_DELETE".equals(d.type()) ? 1 : 0;
                    creates += "GUILD_CREATE".equals(d.type()) ? 1 : 0;
                }
            }
            for (ShardStatus st : h.gatehouse.shards().statuses()) {
                long on = h.sim.onWorld(w -> w.guildIds()).stream().filter(g -> (g >> 22) % 2 == st.id()).count();
                long out = h.sim.onWorld(w -> w.unavailableGuildIds()).stream().filter(g -> (g >> 22) % 2 == st.id()).count();
                assertEquals(on, st.guilds(), "guilds of shard " + st.id() + " after joins and leaves");
                assertEquals(on - out, st.guildsLoaded(), "loaded guilds of shard " + st.id() + " after outages");
            }
            assertTrue(deletes > 0 && creates > 60, "the guilds churned: " + deletes + " GUILD_DELETE, " + creates
                    + " GUILD_CREATE for 60 guilds at the start");
        }
    }
}
