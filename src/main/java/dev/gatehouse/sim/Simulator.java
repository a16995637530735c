package dev.gatehouse.sim;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.gatehouse.discord.CloseCode;
import dev.gatehouse.discord.Intent;
import dev.gatehouse.discord.Opcode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A Discord gateway on loopback: {@code GET /api/v10/gateway/bot}, {@code /gateway} and {@code /users/@me},
 * and the gateway itself over WebSocket with zlib-stream. One world thread owns the {@link World}, the
 * traffic and every session's sequence, so each session's frames are exactly what the world did, in order.
 */
public final class Simulator implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Simulator.class.getName());

    private final SimOptions options;
    private final EventLoopGroup loop;
    private final Channel server;
    private final int port;
    private final World world;
    private final Traffic traffic;
    private final Thread worldThread;
    private final LinkedBlockingQueue<Runnable> worldTasks = new LinkedBlockingQueue<>();
    private final Map<String, GatewaySession> sessions = new java.util.HashMap<>(); // world thread only
    /** GUILD_CREATEs rendered by {@link #prepareBurst}, for the next burst of sessions of this threshold; world thread only. */
    private final Map<Long, byte[]> preparedBurst = new java.util.HashMap<>();
    private int preparedThreshold = -1;
    private final List<GatewaySession> sessionOrder = new ArrayList<>();
    private volatile boolean running = true;
    private volatile boolean trafficOn;
    private final int rate;
    private volatile long dispatched;
    /** World events so far (world thread only): see {@link GatewaySession#worldEvents()}. */
    private long worldEvents;
    private volatile long identifies;
    private volatile long bucketViolations;
    private volatile long heartbeats;
    private final Map<Integer, Long> lastIdentify = new java.util.HashMap<>();
    private final Map<Integer, Integer> refusedResumes = new java.util.HashMap<>(); // world thread only
    private volatile long resumes;
    private volatile long commandsReceived;

    private final SimSetup setup;
    private long lastExpirySweep; // world thread only
    private final SessionStarts starts;
    private final GatewayCommands commands;
    private final GuildLifecycle lifecycle;

    /** Builds the world and starts listening; traffic starts with {@link #startTraffic()}. */
    public Simulator(SimOptions options) throws InterruptedException {
        this(options, SimSetup.NONE);
    }

    /** As {@link #Simulator(SimOptions)}, with transport faults and optionally a replayed capture. */
    public Simulator(SimOptions options, SimSetup setup) throws InterruptedException {
        this.options = options;
        this.setup = setup;
        this.rate = options.eventsPerSecond();
        this.world = new World(options.seed(), setup.replay().isPresent() ? 0 : options.guilds(), options.maxMembers(),
                options.averageMembers());
        this.traffic = setup.replay().isPresent() ? Replay.load(setup.replay().get(), world) : new Traffic(world);
        this.starts = new SessionStarts(options.sessionLimits());
        this.lifecycle = new GuildLifecycle(world, options.churn());
        this.loop = new NioEventLoopGroup(2, Thread.ofPlatform().name("sim-io-", 0).daemon(true).factory());
        WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/").checkStartsWith(true).handleCloseFrames(false).sendCloseFrame(null)
                .maxFramePayloadLength(1 << 20).build();
        this.server = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // one write syscall per event-loop pass instead of per message (see docs/BENCHMARKS.md)
                        ch.pipeline().addLast(new io.netty.handler.flush.FlushConsolidationHandler(256, true));
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new FaultApi(Simulator.this, options.token()), new Rest(),
                                new WebSocketServerProtocolHandler(ws), new Gateway());
                    }
                })
                .bind("127.0.0.1", options.port()).sync().channel();
        this.port = ((InetSocketAddress) server.localAddress()).getPort();
        this.commands = new GatewayCommands(world, options.sessionLimits().memberRequestIntervalMs(), "127.0.0.1:" + port);
        this.worldThread = Thread.ofPlatform().name("sim-world").daemon(true).start(this::runWorld);
        long[] c = world.counts();
        LOG.log(System.Logger.Level.INFO, "simulator: listening on 127.0.0.1:" + port + " with " + c[0] + " guilds, "
                + c[1] + " channels, " + c[2] + " roles, " + c[3] + " members, " + options.shards() + " shards");
    }

    public int port() {
        return port;
    }

    /** REST base URL, as a client's {@code rest.url}. */
    public String restUrl() {
        return "http://127.0.0.1:" + port + "/api/v10";
    }

    /** The gateway URL /gateway/bot answers. */
    public String gatewayUrl() {
        return "ws://127.0.0.1:" + port;
    }

    /** Starts (or resumes) the traffic at the configured rate. */
    public void startTraffic() {
        onWorld(w -> {
            preparedBurst.clear();
            return null;
        });
        trafficOn = true;
    }

    /**
     * Renders every guild's GUILD_CREATE for sessions of this {@code large_threshold} now, so that the next identify's
     * burst only frames, compresses and sends them (a benchmark's timed window then holds no JSON generation: Discord
     * does not build a shard's burst on the bot's machine). Used by that one burst, then dropped; only while the
     * world stands still (no traffic, no joins or outages), since a prepared payload is what the world was.
     *
     * @throws IllegalStateException when traffic is on
     */
    public void prepareBurst(int largeThreshold) {
        if (trafficOn) {
            throw new IllegalStateException("prepareBurst needs the traffic off: the world would change under the prepared GUILD_CREATEs");
        }
        onWorld(w -> {
            preparedBurst.clear();
            for (World.Guild g : w.guildList) {
                preparedBurst.put(g.id, traffic.guildCreate(g, largeThreshold));
            }
            preparedThreshold = largeThreshold;
            return null;
        });
    }

    /** Stops the traffic; returns once no further traffic event will be sent. */
    public void stopTraffic() {
        trafficOn = false;
        onWorld(w -> null);
    }

    /** Dispatches sent over every session so far. */
    public long dispatched() {
        return dispatched;
    }

    public long identifies() {
        return identifies;
    }

    public long resumes() {
        return resumes;
    }

    /** Commands (op 3, 4, 8) received from identified clients. */
    public long commandsReceived() {
        return commandsReceived;
    }

    /** Identifies refused because another identify of the same bucket came within the interval. */
    public long bucketViolations() {
        return bucketViolations;
    }

    /**
     * Fault: closes the connection of the shard's newest live session with a close code. A code after which
     * Discord's table says the client must identify anew (4009 session timed out, 4007, the fatal ones, 1000/1001)
     * ends the session: nothing more is routed to it and a resume of it is refused.
     */
    public void closeShard(int shardId, int code) {
        onLiveSession(shardId, (s, c) -> {
            if (CloseCode.actionFor(code) != CloseCode.Action.RESUME) {
                s.ended = true;
            }
            c.close(code, "simulated close");
        });
    }

    /** Heartbeats received from all clients. */
    public long heartbeats() {
        return heartbeats;
    }

    /** Fault: the shard's connection stops acknowledging heartbeats (a zombie connection). */
    public void stopAcking(int shardId) {
        onLiveSession(shardId, (s, c) -> c.ackHeartbeats = false);
    }

    /** Fault: drops the shard's TCP connection without a close frame; the session stays resumable. */
    public void dropConnection(int shardId) {
        onLiveSession(shardId, (s, c) -> c.channel.close());
    }

    /** Fault: sends the shard a frame that is not JSON, through its compressed stream. */
    public void sendMalformedFrame(int shardId) {
        onLiveSession(shardId, (s, c) -> c.send("{\"t\":\"MESSAGE_CREATE\",\"s\":".getBytes(StandardCharsets.US_ASCII)));
    }

    /** Fault: the shard's next message goes out as this many WebSocket frames (first, then continuations). */
    public void splitNextMessage(int shardId, int frames) {
        onLiveSession(shardId, (s, c) -> c.onLoop(w -> w.splitNext(frames)));
    }

    /** Fault: the shard's next message is written to the socket in pieces with a pause between two. */
    public void slowNextMessage(int shardId, int pieces, int delayMs) {
        onLiveSession(shardId, (s, c) -> c.onLoop(w -> w.slowNext(pieces, delayMs)));
    }

    /** Fault: the shard's next message is cut mid-frame and the TCP connection dropped; the session stays resumable. */
    public void cutNextMessage(int shardId) {
        onLiveSession(shardId, (s, c) -> c.onLoop(FrameWriter::cutNext));
    }

    /** Asks the shard for a heartbeat now (op 1), as Discord may. */
    public void requestHeartbeat(int shardId) {
        onLiveSession(shardId, (s, c) -> c.send("{\"op\":1,\"d\":null,\"s\":null,\"t\":null}".getBytes(StandardCharsets.US_ASCII)));
    }

    /**
     * Fault: the shard's next {@code count} RESUMEs are closed with 4000 before RESUMED, as a gateway that keeps
     * failing a session does. The session itself stays resumable.
     */
    public void failResumes(int shardId, int count) {
        onWorld(w -> refusedResumes.put(shardId, count));
    }

    /** Fault: asks the shard to reconnect (op 7). */
    public void requestReconnect(int shardId) {
        onLiveSession(shardId, (s, c) -> c.send("{\"op\":7,\"d\":null,\"s\":null,\"t\":null}".getBytes(StandardCharsets.US_ASCII)));
    }

    /** Fault: invalidates the shard's session (op 9); not resumable ends it. */
    public void invalidateSession(int shardId, boolean resumable) {
        onLiveSession(shardId, (s, c) -> {
            if (!resumable) {
                s.ended = true;
            }
            c.send(("{\"op\":9,\"d\":" + resumable + ",\"s\":null,\"t\":null}").getBytes(StandardCharsets.US_ASCII));
        });
    }

    /** The bot joins a new guild (GUILD_CREATE to its shard); returns the guild's id. */
    public long joinGuild() {
        return onWorld(w -> send(lifecycle.join()));
    }

    /** The bot leaves the guild (GUILD_DELETE without unavailable). */
    public void leaveGuild(long guildId) {
        onWorld(w -> send(lifecycle.leave(guild(guildId))));
    }

    /** Fault: the guild goes unavailable (GUILD_DELETE unavailable) until {@link #guildReturns}. */
    public void guildOutage(long guildId) {
        onWorld(w -> send(lifecycle.outage(guild(guildId), 0)));
    }

    /** The guild is back from its outage (GUILD_CREATE). */
    public void guildReturns(long guildId) {
        onWorld(w -> send(lifecycle.restore(guild(guildId))));
    }

    /** The world's whole state now: every entity and the counts per kind (read on the world thread). */
    public WorldSnapshot truth() {
        return onWorld(World::snapshot);
    }

    private World.Guild guild(long guildId) {
        World.Guild g = world.guilds.get(guildId);
        if (g == null) {
            throw new IllegalArgumentException("the bot is in no guild " + guildId);
        }
        return g;
    }

    private long send(Traffic.Event e) {
        World.Guild g = world.guilds.get(e.guildId());
        if (!"GUILD_CREATE".equals(e.type()) || g == null) {
            dispatch(e.type(), e.guildId(), e.d());
            return e.guildId();
        }
        // a GUILD_CREATE depends on each session's large_threshold: one payload per threshold (joins are rare)
        Map<Integer, byte[]> byThreshold = new java.util.HashMap<>();
        long event = ++worldEvents;
        for (GatewaySession s : sessionOrder) {
            if (!s.ended && s.routes(g.id)) {
                dispatchTo(s, e.type(), g.id, byThreshold.computeIfAbsent(s.largeThreshold, t -> SimJson.guildCreate(g, t)), event);
            }
        }
        return g.id;
    }

    private void onLiveSession(int shardId, java.util.function.BiConsumer<GatewaySession, SimConnection> fault) {
        onWorld(w -> {
            for (int i = sessionOrder.size() - 1; i >= 0; i--) {
                GatewaySession s = sessionOrder.get(i);
                if (s.shardId == shardId && !s.ended && s.connection != null) {
                    fault.accept(s, s.connection);
                    return null;
                }
            }
            throw new IllegalStateException("shard " + shardId + " has no connected session");
        });
    }

    /**
     * How many of the world's guilds each of {@code shardCount} shards would get; an identify of a shard with more
     * than {@link SimOptions#maxGuildsPerShard} is closed with 4011 (sharding required).
     */
    public int[] guildsPerShard(int shardCount) {
        return onWorld(w -> {
            int[] n = new int[shardCount];
            for (World.Guild g : w.guildList) {
                n[dev.gatehouse.discord.Snowflake.shardOf(g.id, shardCount)]++;
            }
            return n;
        });
    }

    /** Every session started so far, in start order. */
    public List<GatewaySession> sessions() {
        return onWorld(w -> new ArrayList<>(sessionOrder));
    }

    /** Runs a read of the world on the world thread (a consistent snapshot) and returns its result. */
    public <T> T onWorld(Function<World, T> read) {
        CompletableFuture<T> f = new CompletableFuture<>();
        worldTasks.add(() -> {
            try {
                f.complete(read.apply(world));
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f.join();
    }

    // ---- world thread

    private void runWorld() {
        long last = System.nanoTime();
        double owed = 0;
        while (running) {
            try {
                Runnable task = worldTasks.poll(1, TimeUnit.MILLISECONDS);
                while (task != null) {
                    task.run();
                    task = worldTasks.poll();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "simulator: world task failed", e);
            }
            long now = System.nanoTime();
            if (now - lastExpirySweep > 100_000_000L) {
                lastExpirySweep = now;
                expireSessions(now);
            }
            if (!trafficOn || world.guildList.isEmpty()) {
                last = now;
                owed = 0;
                continue;
            }
            for (Traffic.Event e : lifecycle.due(now)) {
                send(e);
            }
            owed += (now - last) * rate / 1e9;
            last = now;
            int burst = (int) Math.min(owed, 2000);
            for (int i = 0; i < burst && trafficOn; i++) {
                Traffic.Event e = traffic.next();
                if (e == null) {
                    trafficOn = false; // a replayed capture is used up
                    break;
                }
                dispatch(e.type(), e.guildId(), e.d());
            }
            owed -= burst;
            if (owed > rate) {
                owed = rate; // fell behind (slow clients): do not burst a backlog of more than a second
            }
        }
    }

    /** Ends the sessions whose connection has been gone longer than the resume window: they stop buffering. */
    private void expireSessions(long now) {
        for (GatewaySession s : sessionOrder) {
            if (!s.ended && s.expired(now, options.sessionLimits().resumeWindowMs())) {
                s.ended = true;
            }
        }
    }

    private void dispatch(String type, long guildId, byte[] d) {
        long event = ++worldEvents;
        for (GatewaySession s : sessionOrder) {
            if (!s.ended && s.routes(guildId) && IntentGate.receives(s.intents, type)) {
                dispatchTo(s, type, guildId, d, event);
            }
        }
    }

    /** Sends one dispatch meant for this session only (a command's answer): no world event of its own. */
    private void dispatchTo(GatewaySession s, String type, long guildId, byte[] d) {
        dispatchTo(s, type, guildId, d, 0);
    }

    /**
     * Sends one dispatch on one session: recorded (replay, truth) even while its connection is away.
     * {@code worldEvent} numbers the world's events in the order they happened, the same on every session that
     * gets one (0 for what only this session gets: READY, its GUILD_CREATEs, answers to its commands).
     */
    private void dispatchTo(GatewaySession s, String type, long guildId, byte[] d, long worldEvent) {
        byte[] frame = s.frame(type, guildId, d, worldEvent);
        dispatched++;
        SimConnection c = s.connection;
        if (c != null) {
            awaitWritable(c);
            c.send(frame);
        }
    }

    /** A slow client slows the traffic instead of growing the simulator's buffers without bound. */
    private static void awaitWritable(SimConnection c) {
        for (int i = 0; i < 10_000 && c.channel.isActive() && (!c.channel.isWritable() || c.queuedBytes() > 4 << 20); i++) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** World thread. {@code now} is when the identify arrived: Discord times the bucket limit by arrival. */
    private void identify(SimConnection c, int shardId, int shardCount, long now) {
        int bucket = shardId % options.maxConcurrency();
        Long last = lastIdentify.get(bucket);
        // arrival stamps come from two event loops, so a later-processed identify can carry the earlier stamp
        if (last != null && Math.abs(now - last) < options.identifyIntervalMs() * 1_000_000L) {
            bucketViolations++;
            LOG.log(System.Logger.Level.INFO, "simulator: shard " + shardId + " identified within "
                    + options.identifyIntervalMs() + " ms of another in bucket " + bucket + "; invalid session");
            c.send("{\"op\":9,\"d\":false,\"s\":null,\"t\":null}".getBytes(StandardCharsets.US_ASCII));
            return;
        }
        List<World.Guild> mine = new ArrayList<>();
        for (World.Guild g : world.guildList) {
            if (dev.gatehouse.discord.Snowflake.shardOf(g.id, shardCount) == shardId) {
                mine.add(g);
            }
        }
        if (mine.size() > options.maxGuildsPerShard()) {
            c.close(CloseCode.SHARDING_REQUIRED.code(), "Sharding required.");
            return;
        }
        if (!starts.tryStart(System.currentTimeMillis())) {
            revokeToken(c);
            return;
        }
        lastIdentify.put(bucket, last == null ? now : Math.max(last, now));
        identifies++;
        GatewaySession s = new GatewaySession(UUID.randomUUID().toString().replace("-", ""), shardId, shardCount, options.recordTruth());
        sessions.put(s.id, s);
        sessionOrder.add(s);
        s.connection = c;
        s.intents = c.intents;
        s.largeThreshold = c.largeThreshold;
        c.session = s;
        byte[] ready = SimJson.object(j -> {
            j.writeNumberField("v", 10);
            j.writeObjectFieldStart("user_settings");
            j.writeEndObject();
            j.writeFieldName("user");
            SimJson.user(j, world.self);
            j.writeStringField("session_type", "normal");
            j.writeStringField("session_id", s.id);
            j.writeStringField("resume_gateway_url", gatewayUrl());
            j.writeArrayFieldStart("relationships");
            j.writeEndArray();
            j.writeArrayFieldStart("private_channels");
            j.writeEndArray();
            j.writeArrayFieldStart("presences");
            j.writeEndArray();
            j.writeArrayFieldStart("guilds");
            for (World.Guild g : mine) {
                j.writeStartObject();
                j.writeStringField("id", Long.toString(g.id));
                j.writeBooleanField("unavailable", true);
                j.writeEndObject();
            }
            j.writeEndArray();
            j.writeArrayFieldStart("guild_join_requests");
            j.writeEndArray();
            j.writeArrayFieldStart("geo_ordered_rtc_regions");
            j.writeString("simulated");
            j.writeEndArray();
            j.writeObjectFieldStart("auth");
            j.writeEndObject();
            j.writeObjectFieldStart("application");
            j.writeStringField("id", Long.toString(world.self.id));
            j.writeNumberField("flags", 11051008);
            j.writeEndObject();
            j.writeArrayFieldStart("shard");
            j.writeNumber(shardId);
            j.writeNumber(shardCount);
            j.writeEndArray();
            j.writeArrayFieldStart("_trace");
            j.writeString("[\"gatehouse-simulator\",{\"micros\":0}]");
            j.writeEndArray();
        });
        c.send(s.frame("READY", 0, ready, 0));
        dispatched++;
        int created = 0;
        for (World.Guild g : mine) {
            if (g.unavailable) {
                continue; // in an outage: READY lists it unavailable and it arrives when it returns
            }
            awaitWritable(c);
            byte[] prepared = s.largeThreshold == preparedThreshold ? preparedBurst.remove(g.id) : null;
            c.send(s.frame("GUILD_CREATE", g.id, prepared != null ? prepared : traffic.guildCreate(g, s.largeThreshold), 0));
            dispatched++;
            created++;
        }
        LOG.log(System.Logger.Level.INFO, "simulator: shard " + shardId + "/" + shardCount + " identified; sent READY and "
                + created + " GUILD_CREATE");
    }

    /** Answers of a command: to its session's connection, to every session of the guild, or a close. */
    private GatewayCommands.Replies replies(GatewaySession s, SimConnection c) {
        return new GatewayCommands.Replies() {
            @Override
            public void toSession(String type, long guildId, byte[] d) {
                dispatchTo(s, type, guildId, d);
            }

            @Override
            public void toGuild(String type, long guildId, byte[] d) {
                dispatch(type, guildId, d);
            }

            @Override
            public void close(int code, String reason) {
                c.close(code, reason);
            }
        };
    }

    /**
     * An identify past the daily session starts: as Discord does, every session of the bot ends and its token
     * is reset, so each connection is closed with 4004 and the token is refused until the allowance refills.
     */
    private void revokeToken(SimConnection c) {
        starts.revoke();
        int closed = 0;
        for (GatewaySession s : sessionOrder) {
            if (!s.ended) {
                s.ended = true;
                if (s.connection != null) {
                    s.connection.close(CloseCode.AUTHENTICATION_FAILED.code(), "Authentication failed.");
                    closed++;
                }
            }
        }
        c.close(CloseCode.AUTHENTICATION_FAILED.code(), "Authentication failed.");
        LOG.log(System.Logger.Level.WARNING, "simulator: identify past the session start limit; token reset, "
                + closed + " connected sessions ended with 4004");
    }

    private void resume(SimConnection c, String sessionId, long seq) {
        GatewaySession s = sessions.get(sessionId);
        if (s != null && refusedResumes.getOrDefault(s.shardId, 0) > 0) {
            int left = refusedResumes.merge(s.shardId, -1, Integer::sum);
            // logged so that a client that never sees this close can be told from a refusal that never happened
            LOG.log(System.Logger.Level.INFO, "simulator: refusing the resume of shard " + s.shardId + " with 4000 on "
                    + c.channel.remoteAddress() + (c.channel.isActive() ? "" : " (already closed)") + "; " + left + " refusals left");
            c.close(4000, "simulated failing resume");
            return;
        }
        if (s != null && s.expired(System.nanoTime(), options.sessionLimits().resumeWindowMs())) {
            s.ended = true;
        }
        List<byte[]> frames = s == null || s.ended ? null : s.replayAfter(seq);
        if (frames == null) {
            c.send(("{\"op\":9,\"d\":false,\"s\":null,\"t\":null}").getBytes(StandardCharsets.US_ASCII));
            return;
        }
        resumes++;
        if (s.connection != null && s.connection != c) {
            s.connection.close(4009, "session resumed elsewhere");
        }
        s.connection = c;
        s.droppedAtNanos = 0;
        c.session = s;
        for (byte[] f : frames) {
            awaitWritable(c);
            c.send(f);
        }
        c.send(s.frame("RESUMED", 0, "{}".getBytes(StandardCharsets.US_ASCII), 0));
        dispatched++;
    }

    // ---- Netty handlers

    /** The REST calls clients make before connecting; anything else under /api is 404. */
    private final class Rest extends SimpleChannelInboundHandler<FullHttpRequest> {
        Rest() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = new QueryStringDecoder(req.uri()).path();
            if (!path.startsWith("/api/")) {
                ctx.fireChannelRead(req);
                return;
            }
            try {
                String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION, "");
                String token = auth.startsWith("Bot ") ? auth.substring(4) : auth;
                if (!token.equals(options.token()) || starts.revoked(System.currentTimeMillis())) {
                    respond(ctx, req, HttpResponseStatus.UNAUTHORIZED, "{\"message\": \"401: Unauthorized\", \"code\": 0}");
                    return;
                }
                switch (path.replaceFirst("^/api/v\\d+", "")) {
                    case "/gateway/bot" -> respond(ctx, req, HttpResponseStatus.OK, "{\"url\":\"" + gatewayUrl()
                            + "\",\"shards\":" + options.shards() + ",\"session_start_limit\":"
                            + starts.json(System.currentTimeMillis(), options.maxConcurrency()) + "}");
                    case "/gateway" -> respond(ctx, req, HttpResponseStatus.OK, "{\"url\":\"" + gatewayUrl() + "\"}");
                    case "/users/@me" -> respond(ctx, req, HttpResponseStatus.OK, "{\"id\":\"" + world.self.id
                            + "\",\"username\":\"" + world.self.username + "\",\"discriminator\":\"0\",\"global_name\":null,"
                            + "\"avatar\":null,\"bot\":true,\"flags\":0,\"verified\":true,\"mfa_enabled\":true,\"email\":null}");
                    default -> respond(ctx, req, HttpResponseStatus.NOT_FOUND, "{\"message\": \"404: Not Found\", \"code\": 0}");
                }
            } finally {
                req.release();
            }
        }

        private void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String json) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            HttpUtil.setContentLength(res, res.content().readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(res, keepAlive);
            var f = ctx.writeAndFlush(res);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** The gateway protocol of one connection, after the WebSocket handshake. */
    private final class Gateway extends SimpleChannelInboundHandler<WebSocketFrame> {
        private SimConnection conn;
        private java.util.concurrent.ScheduledFuture<?> watchdog;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hs) {
                Map<String, List<String>> q = new QueryStringDecoder(hs.requestUri()).parameters();
                boolean zlib = q.getOrDefault("compress", List.of()).contains("zlib-stream");
                conn = new SimConnection(ctx.channel(), zlib, q.getOrDefault("compress", List.of()).contains("zstd-stream"),
                        setup.frames());
                List<String> version = q.getOrDefault("v", List.of("10"));
                if (!version.equals(List.of("10"))) {
                    conn.close(CloseCode.INVALID_API_VERSION.code(), "Invalid API version.");
                    return;
                }
                SimConnection c = conn;
                long interval = options.heartbeatIntervalMs();
                watchdog = ctx.executor().scheduleAtFixedRate(() -> {
                    // 1.5 intervals plus a second of grace: a loaded client is late, not dead
                    if (System.nanoTime() - c.lastHeartbeatNanos > interval * 1_500_000L + 1_000_000_000L) {
                        c.close(CloseCode.SESSION_TIMED_OUT.code(), "Session timed out.");
                    }
                }, interval, Math.max(50, interval / 4), TimeUnit.MILLISECONDS);
                conn.send(("{\"t\":null,\"s\":null,\"op\":10,\"d\":{\"heartbeat_interval\":" + options.heartbeatIntervalMs()
                        + ",\"_trace\":[\"[\\\"gatehouse-simulator\\\",{\\\"micros\\\":0.0}]\"]}}").getBytes(StandardCharsets.US_ASCII));
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof CloseWebSocketFrame close) {
                int code = close.statusCode();
                SimConnection c = conn;
                if (c != null) {
                    c.closeReceived = true;
                    worldTasks.add(() -> {
                        if (c.session != null) {
                            c.session.ending("close " + code);
                            if (code == 1000 || code == 1001) {
                                c.session.ended = true;
                            }
                        }
                    });
                }
                ctx.writeAndFlush(new CloseWebSocketFrame(code, "")).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (!(frame instanceof TextWebSocketFrame) && !(frame instanceof BinaryWebSocketFrame)) {
                return;
            }
            if (conn == null) {
                return;
            }
            ByteBuf content = frame.content();
            if (content.readableBytes() > 4096) {
                conn.close(CloseCode.DECODE_ERROR.code(), "payload over 4096 bytes");
                return;
            }
            handle(ByteBufUtil.getBytes(content));
        }

        private void handle(byte[] json) {
            int op = -1;
            String token = null;
            String sessionId = null;
            long seq = -1;
            int shardId = 0;
            int shardCount = 1;
            long intents = -1;
            int largeThreshold = 50;
            try (JsonParser p = SimJson.JSON.createParser(json)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    throw new IOException("not an object");
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken v = p.nextToken();
                    if ("op".equals(name)) {
                        op = p.getValueAsInt(-1);
                    } else if ("d".equals(name) && v == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String f = p.currentName();
                            JsonToken fv = p.nextToken();
                            switch (f) {
                                case "token" -> token = p.getValueAsString();
                                case "session_id" -> sessionId = p.getValueAsString();
                                case "seq" -> seq = p.getValueAsLong(-1);
                                case "intents" -> intents = fv == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                                case "large_threshold" -> largeThreshold = fv == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : -1;
                                case "shard" -> {
                                    if (fv == JsonToken.START_ARRAY) {
                                        p.nextToken();
                                        shardId = p.getValueAsInt(-1);
                                        p.nextToken();
                                        shardCount = p.getValueAsInt(0);
                                        while (p.nextToken() != JsonToken.END_ARRAY) {
                                            p.skipChildren();
                                        }
                                    }
                                }
                                default -> p.skipChildren();
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
            } catch (IOException e) {
                conn.close(CloseCode.DECODE_ERROR.code(), "malformed payload");
                return;
            }
            SimConnection c = conn;
            long now = System.nanoTime();
            if (!c.withinSendLimit(now)) {
                c.close(CloseCode.RATE_LIMITED.code(), "You are being rate limited.");
                return;
            }
            switch (op) {
                case Opcode.HEARTBEAT -> {
                    c.lastHeartbeatNanos = now;
                    heartbeats++;
                    if (!c.ackHeartbeats) {
                        return;
                    }
                    c.send("{\"t\":null,\"s\":null,\"op\":11,\"d\":null}".getBytes(StandardCharsets.US_ASCII));
                }
                case Opcode.IDENTIFY -> {
                    if (!validToken(token)) {
                        c.close(CloseCode.AUTHENTICATION_FAILED.code(), "Authentication failed.");
                    } else if (c.session != null) {
                        c.close(CloseCode.ALREADY_AUTHENTICATED.code(), "Already authenticated.");
                    } else if (shardCount < 1 || shardId < 0 || shardId >= shardCount) {
                        c.close(CloseCode.INVALID_SHARD.code(), "Invalid shard.");
                    } else if (intents < 0 || (intents & ~Intent.all()) != 0) {
                        c.close(CloseCode.INVALID_INTENTS.code(), "Invalid intent(s).");
                    } else if ((intents & Intent.PRIVILEGED) != 0 && !options.privilegedIntents()) {
                        c.close(CloseCode.DISALLOWED_INTENTS.code(), "Disallowed intent(s).");
                    } else if (largeThreshold < 50 || largeThreshold > 250) {
                        c.close(CloseCode.UNKNOWN_OPCODE.code(), "Invalid payload: large_threshold must be 50 to 250.");
                    } else {
                        c.intents = intents;
                        c.largeThreshold = largeThreshold;
                        int id = shardId, n = shardCount;
                        worldTasks.add(() -> identify(c, id, n, now));
                    }
                }
                case Opcode.RESUME -> {
                    if (!validToken(token)) {
                        c.close(CloseCode.AUTHENTICATION_FAILED.code(), "Authentication failed.");
                    } else {
                        String sid = sessionId;
                        long s = seq;
                        worldTasks.add(() -> resume(c, sid, s));
                    }
                }
                case Opcode.PRESENCE_UPDATE, Opcode.VOICE_STATE_UPDATE, Opcode.REQUEST_GUILD_MEMBERS -> {
                    if (c.session == null) {
                        c.close(CloseCode.NOT_AUTHENTICATED.code(), "Not authenticated.");
                        return;
                    }
                    CommandData d;
                    try {
                        d = CommandData.of(json);
                    } catch (IOException e) {
                        c.close(CloseCode.DECODE_ERROR.code(), "malformed payload");
                        return;
                    } catch (CommandData.BadCommand e) {
                        c.close(CloseCode.UNKNOWN_OPCODE.code(), "Invalid payload: " + e.getMessage());
                        return;
                    }
                    commandsReceived++;
                    int command = op;
                    worldTasks.add(() -> {
                        GatewaySession s = c.session;
                        if (s != null && !s.ended) {
                            commands.run(command, d, s, s.intents, replies(s, c));
                        }
                    });
                }
                default -> c.close(CloseCode.UNKNOWN_OPCODE.code(), "Unknown opcode.");
            }
        }

        private boolean validToken(String token) {
            if (token == null) {
                return false;
            }
            String t = token.startsWith("Bot ") ? token.substring(4) : token;
            return t.equals(options.token()) && !starts.revoked(System.currentTimeMillis());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (watchdog != null) {
                watchdog.cancel(false);
            }
            SimConnection c = conn;
            if (c != null) {
                worldTasks.add(() -> {
                    if (c.session != null && !c.closeReceived) {
                        c.session.ending("dropped without a close frame");
                    }
                    if (c.session != null && c.session.connection == c) {
                        c.session.connection = null;
                        c.session.droppedAtNanos = System.nanoTime();
                    }
                    c.release();
                });
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        running = false;
        worldThread.interrupt();
        try {
            worldThread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
