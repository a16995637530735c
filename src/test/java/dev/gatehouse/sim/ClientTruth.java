package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.IntToLongFunction;
import java.util.function.Supplier;

/**
 * What the independent client tests check against the simulator's truth: which guilds Discord's routing gives a
 * shard, and that a client saw exactly the dispatches a session sent, in order, none missing or repeated.
 */
final class ClientTruth {
    private ClientTruth() {
    }

    /** The world's guilds that Discord routes to the shard: {@code (guild_id >> 22) % shards}. */
    static Set<Long> guildsOfShard(Simulator sim, int shard, int shards) {
        return sim.onWorld(w -> new TreeSet<>(w.guildIds().stream().filter(g -> (g >> 22) % shards == shard).toList()));
    }

    /** Asserts the client saw the session's dispatches exactly: the same seqs with the same types, in order. */
    static void assertSameDispatches(String client, GatewaySession session, List<GatewaySession.Sent> seen) {
        assertEquals(session.sent().stream().map(s -> s.seq() + " " + s.type()).toList(),
                seen.stream().map(s -> s.seq() + " " + s.type()).toList(),
                client + " shard " + session.shardId() + ": exactly the dispatches the simulator sent, in order");
    }

    /** Asserts one message seen per MESSAGE_CREATE the session sent, with the same seq and guild. */
    static void assertSameMessages(String client, GatewaySession session, List<GatewaySession.Sent> messages) {
        assertEquals(session.sent().stream().filter(s -> s.type().equals("MESSAGE_CREATE")).toList(), messages,
                client + " shard " + session.shardId() + ": one message per MESSAGE_CREATE, same seq and guild");
    }

    /**
     * Runs the traffic, asks shard 0 to reconnect (op 7) while it flows, waits for the client's resume and for
     * messages after it, stops the traffic, and asserts the simulator counted one resume and no new identify.
     * Returns the sessions, whose truth the caller compares with what the client saw.
     */
    static List<GatewaySession> reconnectDuringTraffic(Simulator sim, int shards, IntToLongFunction messages,
                                                       BooleanSupplier resumed, Supplier<String> state) throws InterruptedException {
        sim.startTraffic();
        await("messages on both shards", () -> messages.applyAsLong(0) >= 20 && messages.applyAsLong(1) >= 20, state);
        sim.requestReconnect(0);
        await("shard 0 resumed after op 7", resumed, state);
        long afterResume = messages.applyAsLong(0) + 20;
        await("messages after the resume", () -> messages.applyAsLong(0) >= afterResume, state);
        sim.stopTraffic();
        List<GatewaySession> sessions = sim.sessions();
        assertEquals(shards, sessions.size(), "one session per shard, no new session after op 7");
        assertEquals(shards, sim.identifies(), "no identify beyond the first per shard");
        assertEquals(1, sim.resumes(), "one resume");
        return sessions;
    }

    /** Waits for a condition, failing with the state when it does not hold within a minute. */
    static void await(String what, BooleanSupplier done, Supplier<String> state) throws InterruptedException {
        if (!waitUntil(done)) {
            fail("gave up waiting for " + what + ": " + state.get());
        }
    }

    /** Polls for up to a minute (generous: the machine is shared); false when the condition never held. */
    static boolean waitUntil(BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }
}
