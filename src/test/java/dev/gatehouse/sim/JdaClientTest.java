package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import net.dv8tion.jda.api.JDA;
import net.dv8tion.jda.api.events.GenericEvent;
import net.dv8tion.jda.api.events.RawGatewayEvent;
import net.dv8tion.jda.api.events.guild.GuildReadyEvent;
import net.dv8tion.jda.api.events.message.MessageReceivedEvent;
import net.dv8tion.jda.api.events.session.ReadyEvent;
import net.dv8tion.jda.api.events.session.SessionRecreateEvent;
import net.dv8tion.jda.api.events.session.SessionResumeEvent;
import net.dv8tion.jda.api.hooks.EventListener;
import net.dv8tion.jda.api.requests.GatewayIntent;
import net.dv8tion.jda.api.requests.RestConfig;
import net.dv8tion.jda.api.sharding.DefaultShardManagerBuilder;
import net.dv8tion.jda.api.sharding.ShardManager;
import net.dv8tion.jda.api.utils.ChunkingFilter;
import net.dv8tion.jda.api.utils.Compression;
import net.dv8tion.jda.internal.JDAImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * JDA, a Discord library no one here wrote, logs in to the simulator with two shards as it would to Discord:
 * it gets READY and exactly its shards' guilds, resumes after op 7 without a new identify, and every dispatch
 * it handles is one the simulator's truth says it sent, in order, none missing.
 */
class JdaClientTest {
    private static final String TOKEN = "jda-test-token";
    private static final int SHARDS = 2;

    private Simulator sim;
    private ShardManager jda;
    private final Logger jdaLog = Logger.getLogger("net.dv8tion");
    private final WarningLog warnings = new WarningLog();

    /** What one JDA shard saw: every raw dispatch (seq, type), its guilds at login, its messages, its sessions. */
    static final class ShardView {
        final List<GatewaySession.Sent> dispatches = new ArrayList<>();
        final List<GatewaySession.Sent> messages = new ArrayList<>();
        final List<Long> readyGuilds = new ArrayList<>();
        volatile int readies;
        volatile int resumes;
        volatile int recreates;

        synchronized long messagesSeen() {
            return messages.size();
        }
    }

    /** Records JDA's events per shard; JDA fires one shard's events on that shard's reading thread, in order. */
    static final class Recorder implements EventListener {
        final Map<Integer, ShardView> shards = new ConcurrentHashMap<>();

        ShardView shard(int id) {
            return shards.computeIfAbsent(id, i -> new ShardView());
        }

        @Override
        public void onEvent(GenericEvent event) {
            ShardView v = shard(event.getJDA().getShardInfo().getShardId());
            synchronized (v) {
                switch (event) {
                    case RawGatewayEvent e -> v.dispatches.add(new GatewaySession.Sent(e.getResponseNumber(), e.getType(),
                            e.getPayload().getLong("guild_id", 0L)));
                    case MessageReceivedEvent e -> v.messages.add(new GatewaySession.Sent(e.getResponseNumber(),
                            "MESSAGE_CREATE", e.isFromGuild() ? e.getGuild().getIdLong() : 0L));
                    case GuildReadyEvent e -> v.readyGuilds.add(e.getGuild().getIdLong());
                    case ReadyEvent e -> v.readies++;
                    case SessionResumeEvent e -> v.resumes++;
                    case SessionRecreateEvent e -> v.recreates++;
                    default -> {
                    }
                }
            }
        }
    }

    /** Collects what JDA logs at WARNING or above: a payload JDA cannot parse is a simulator fidelity gap. */
    static final class WarningLog extends Handler {
        final List<String> records = java.util.Collections.synchronizedList(new ArrayList<>());

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                records.add(r.getLoggerName() + ": " + r.getMessage()
                        + (r.getThrown() == null ? "" : " (" + r.getThrown() + ")"));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @AfterEach
    void stop() {
        if (jda != null) {
            jda.shutdown();
        }
        if (sim != null) {
            sim.close();
        }
        jdaLog.removeHandler(warnings);
    }

    @Test
    void jdaLogsInWithTwoShardsResumesAfterOp7AndSeesTheTraffic() throws Exception {
        sim = new Simulator(SimOptions.defaults().withWorld(SHARDS, 60, 40).withTraffic(200).withToken(TOKEN));
        jdaLog.addHandler(warnings);
        Recorder seen = new Recorder();
        jda = DefaultShardManagerBuilder.create(TOKEN, EnumSet.allOf(GatewayIntent.class))
                .setRestConfig(new RestConfig().setBaseUrl(sim.restUrl() + "/"))
                .setSessionController(new SimulatorSessionController(sim.gatewayUrl()))
                .setCompression(Compression.ZLIB) // JDA's default, said aloud: zlib-stream
                .setChunkingFilter(ChunkingFilter.NONE)
                .setRawEventsEnabled(true)
                .addEventListeners(seen)
                .build();

        ClientTruth.await("READY on both shards", () -> seen.shard(0).readies == 1 && seen.shard(1).readies == 1,
                () -> "statuses " + jda.getStatuses() + ", warnings " + warnings.records);
        assertEquals(SHARDS, jda.getShardsTotal(), "shard total from the simulator's /gateway/bot");
        for (int shard = 0; shard < SHARDS; shard++) {
            Set<Long> expected = ClientTruth.guildsOfShard(sim, shard, SHARDS);
            ShardView v = seen.shard(shard);
            synchronized (v) {
                assertEquals(expected, new TreeSet<>(v.readyGuilds), "shard " + shard + " guilds at login");
                assertEquals(expected.size(), v.readyGuilds.size(), "shard " + shard + ": one GUILD_CREATE per guild");
                assertEquals("READY", v.dispatches.getFirst().type());
                assertEquals(1, v.dispatches.getFirst().seq(), "READY is s=1");
            }
            Set<Long> cached = new TreeSet<>(jda.getShardById(shard).getGuilds().stream().map(g -> g.getIdLong()).toList());
            assertEquals(expected, cached, "shard " + shard + " guild cache");
        }

        List<GatewaySession> sessions = ClientTruth.reconnectDuringTraffic(sim, SHARDS, shard -> seen.shard(shard).messagesSeen(),
                () -> seen.shard(0).resumes == 1, () -> "statuses " + jda.getStatuses() + ", warnings " + warnings.records);
        for (GatewaySession session : sessions) {
            ShardView v = seen.shard(session.shardId());
            long sent = session.count();
            ClientTruth.waitUntil(() -> dispatchCount(v) >= sent); // a shortfall shows in the comparison below
            synchronized (v) {
                ClientTruth.assertSameDispatches("JDA", session, v.dispatches);
                ClientTruth.assertSameMessages("JDA", session, v.messages);
                assertEquals(1, v.readies, "one READY");
                assertEquals(0, v.recreates, "the session was never recreated");
            }
        }
        for (int shard = 0; shard < SHARDS; shard++) {
            // JDA parks an event whose channel, member or role it was never told about; none may be left parked
            assertEquals(0, ((JDAImpl) jda.getShardById(shard)).getEventCache().size(),
                    "shard " + shard + ": events about unknown entities");
        }
        assertEquals(1, seen.shard(0).resumes);
        assertEquals(0, seen.shard(1).resumes);
        assertTrue(warnings.records.isEmpty(), "JDA warned about the simulator: " + warnings.records);
    }

    private static int dispatchCount(ShardView v) {
        synchronized (v) {
            return v.dispatches.size();
        }
    }
}
