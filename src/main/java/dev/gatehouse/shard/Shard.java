package dev.gatehouse.shard;

import dev.gatehouse.discord.CloseCode;
import dev.gatehouse.discord.FrameHeader;
import dev.gatehouse.discord.GatewayBot;
import dev.gatehouse.discord.Opcode;
import dev.gatehouse.discord.Payloads;
import dev.gatehouse.discord.ReadyGuilds;
import dev.gatehouse.pipeline.GuildKind;
import dev.gatehouse.spi.Identify;
import dev.gatehouse.spi.ShardState;
import dev.gatehouse.pipeline.Session;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.DataFormatException;

/**
 * One shard's session state machine: connect, Hello, identify (through the queue) or resume, heartbeats,
 * sequence numbers, READY, reconnects. All methods except the {@link GatewayConnection.Listener} callbacks
 * run on the owning cluster's thread; the callbacks only hand work to that thread.
 */
final class Shard implements GatewayConnection.Listener {
    private static final System.Logger LOG = System.getLogger(Shard.class.getName());
    private static final long NEVER = Long.MAX_VALUE;
    private static final long READY_TIMEOUT_NANOS = 60_000_000_000L;
    /** Dispatch counters reach {@link #status()} at most this often; state changes reach it at once. */
    private static final long STATUS_EVERY_NANOS = 100_000_000L;

    enum State { IDLE, CONNECTING, HELLO, QUEUED, IDENTIFYING, RESUMING, READY, RECONNECTING, STOPPED }

    private final int id;
    private final Cluster cluster;
    private final ShardContext ctx;
    private final FrameHeader header = new FrameHeader();

    private State state = State.IDLE;
    private GatewayConnection conn;
    /** The connection being closed to reconnect: nothing more is read from it. */
    private GatewayConnection dropping;
    private ZlibStream zlib;
    /** Uncompressed messages' copy (no zlib-stream), allocated at the first one: a compressed shard holds none. */
    private byte[] text = new byte[0];
    /** The session to resume, or null to identify. */
    private Session session;
    private long seq = -1;
    private long heartbeatIntervalNanos;
    private long nextHeartbeat = NEVER;
    private boolean awaitingAck;
    private long heartbeatSentAt;
    private long reconnectAt = NEVER;
    private long deadline = NEVER;
    private int failures;
    /** Resume attempts in a row that ended before RESUMED: a session that cannot be resumed is given up. */
    private int failedResumes;
    static final int MAX_FAILED_RESUMES = 3;
    private boolean stopping;
    /** A reshard's switch took the unsent commands: the replaced shard takes no more. */
    private boolean commandsTaken;
    private final GuildTracker guildTracker = new GuildTracker();
    /** Signals the shard puts in the stream (no gateway seq of their own: they carry the last one). */
    static final String SHARD_LOADED = "GATEHOUSE_SHARD_LOADED";
    static final String ALL_LOADED = "GATEHOUSE_ALL_LOADED";
    /** The guilds came from the state (a resumed session of a previous process): loaded once RESUMED. */
    private boolean guildsFromState;
    /** Commands waiting for READY/RESUMED or for room in the send limit, oldest first. */
    private final ArrayDeque<String> commands = new ArrayDeque<>();
    private CommandLimiter limiter = new CommandLimiter(0);
    private long commandAt = NEVER;
    /** Commands a shard holds at most while it is down or rate limited. */
    static final int MAX_QUEUED_COMMANDS = 1000;

    private volatile ShardStatus status;
    private long statusAt;
    private volatile long latencyMs = -1;
    private int identifies;
    private int resumes;
    private int lastCloseCode = -1;
    private long dispatches;
    private long duplicates;
    /** Dispatches the full ring did not take yet, oldest first: offered again on every tick, before anything newer. */
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    /**
     * Bytes of the frames in {@link #held}. Reading pauses at the first one held, but what the connection had read
     * already (up to 512 messages, a zlib-stream message inflating to as much as 64 MiB) still arrives: past
     * {@code gateway.maxHeldBytes} the shard closes resumably at once, takes nothing more of that connection and
     * resumes once the ring took what it holds, so it holds at most that plus the one frame that crossed it.
     */
    private long heldBytes;
    /** When reading was paused for a full ring, or NEVER while reading. */
    private long pausedSince = NEVER;
    /** Reading was paused at some time since the last scheduled heartbeat: a missing ACK is then no zombie sign. */
    private boolean pausedSinceHeartbeat;
    /** The connection was closed because the ring stayed full too long: reconnect only once there is room. */
    private boolean closedForRoom;
    /** Reading of the current connection was paused for the ring: its end says nothing about the session. */
    private boolean pausedOnConnection;
    private long pauses;
    /** How often a held shard offers its dispatches to the ring again. */
    private static final long HELD_RETRY_NANOS = 2_000_000L;

    /** A dispatch copied out of the inflater's buffer while the ring is full. */
    private record Held(Session session, long seq, String type, long guildId, GuildKind kind, byte[] frame, long receivedNanos) {
    }

    /**
     * @param resumeFrom a session a previous process left, to resume instead of identifying; null for none
     */
    Shard(int id, Cluster cluster, ShardContext ctx, ResumePoint resumeFrom) {
        this.id = id;
        this.cluster = cluster;
        this.ctx = ctx;
        if (resumeFrom != null) {
            session = resumeFrom.session();
            seq = resumeFrom.seq();
            guildTracker.known(resumeFrom.guilds(), resumeFrom.unavailableGuilds());
            guildsFromState = true;
        }
        publishStatus();
    }

    int id() {
        return id;
    }

    ShardStatus status() {
        return status;
    }

    /** Cluster thread: first connection. */
    void start() {
        connect();
    }

    /** Cluster thread: stop for good, keeping the session resumable for the next process. */
    void stop() {
        stop(CloseCode.RESUMABLE_SHUTDOWN, "gatehouse stopping");
    }

    /**
     * Cluster thread: stop for good with {@code code}: 1000 ends the session (a shard set replaced by a reshard),
     * a resumable code keeps it for the next process.
     */
    void stop(int code, String reason) {
        LOG.log(System.Logger.Level.DEBUG, "shard " + id + ": stopping with " + code + " in " + state + " (session " + shortSession()
                + ", " + (conn == null ? "no connection" : conn == dropping ? "connection being dropped" : "connection open")
                + ", " + held.size() + " held)");
        if (code == 1000 && session != null && (conn == null || conn == dropping)) {
            LOG.log(System.Logger.Level.WARNING, "shard " + id + ": session " + shortSession() + " cannot be ended with 1000 now: its"
                    + " connection is " + (conn == null ? "gone (reconnecting)" : "already closing resumably")
                    + "; the gateway ends it once its resume window passes");
        }
        stopping = true;
        state = State.STOPPED;
        reconnectAt = NEVER;
        nextHeartbeat = NEVER;
        deadline = NEVER;
        if (conn != null) {
            conn.close(code, reason);
        }
        publishStatus();
    }

    /** True while the shard's socket is open (after {@link #stop}: until the gateway answered the close frame). */
    boolean connectionOpen() {
        GatewayConnection c = conn;
        return c != null && c.isOpen();
    }

    /** Cluster thread: runs due timers; returns the next time it needs to run. */
    long tick(long now) {
        if (!held.isEmpty()) {
            offerHeld(now);
        }
        if (now >= reconnectAt) {
            if (!held.isEmpty()) {
                // the ring is still full: a new connection would only be paused again, before its handshake and
                // Hello could be read, and time out as a failed resume. The session waits; resume once all is in.
                reconnectAt = now + HELD_RETRY_NANOS * 50;
            } else {
                reconnectAt = NEVER;
                closedForRoom = false;
                connect();
            }
        }
        if (now >= deadline && pausedSince != NEVER && conn != null && (state == State.RESUMING || state == State.IDENTIFYING)) {
            // we stopped reading: READY/RESUMED may be unread in the socket. gateway.maxPausedMs bounds the wait
            deadline = now + READY_TIMEOUT_NANOS;
        }
        if (now >= deadline) {
            deadline = NEVER;
            LOG.log(System.Logger.Level.WARNING, "shard " + id + ": no " + (state == State.HELLO ? "Hello" : "READY/RESUMED")
                    + " in time (" + state + "; " + (conn == null ? "no connection" : conn.describe()) + "); reconnecting");
            dropConnection(4000, "timeout in " + state);
        }
        if (now >= commandAt) {
            commandAt = NEVER;
            sendCommands(now);
        }
        if (now >= nextHeartbeat && conn != null) {
            if (awaitingAck && !pausedSinceHeartbeat) {
                LOG.log(System.Logger.Level.WARNING, "shard " + id + ": heartbeat not acknowledged (zombie connection); reconnecting to resume");
                nextHeartbeat = NEVER;
                dropConnection(4000, "heartbeat not acknowledged");
            } else {
                // while reading is paused the ACK may sit unread in the socket: not a zombie, keep heartbeating
                pausedSinceHeartbeat = pausedSince != NEVER;
                sendHeartbeat(now, true);
                nextHeartbeat = now + heartbeatIntervalNanos;
            }
        }
        long next = Math.min(Math.min(reconnectAt, commandAt), Math.min(deadline, nextHeartbeat));
        if (!held.isEmpty()) {
            next = Math.min(next, now + HELD_RETRY_NANOS);
        }
        if (dispatches == status.dispatches()) {
            return next; // nothing new to show: no status wake-up (asking for one in the past spun the cluster)
        }
        if (now - statusAt >= STATUS_EVERY_NANOS) {
            publishStatus();
            return next;
        }
        return Math.min(next, statusAt + STATUS_EVERY_NANOS);
    }

    private void connect() {
        if (stopping) {
            return;
        }
        boolean resuming = session != null;
        state = State.CONNECTING;
        zlib = new ZlibStream();
        awaitingAck = false;
        nextHeartbeat = NEVER;
        deadline = System.nanoTime() + ctx.connectTimeoutMs() * 1_000_000L * 2;
        pausedOnConnection = false;
        conn = GatewayConnection.open(ctx.loop(), GatewayBot.connectUri(resuming ? session.resumeUrl() : ctx.gatewayUrl()), this,
                ctx.connectTimeoutMs());
        // never paused here: tick() connects only once nothing is held, and a connection paused before its
        // handshake completes never reads the 101 nor Hello
        publishStatus();
    }

    // ---- Listener callbacks: Netty threads. Hand over to the cluster thread and nothing else.

    @Override
    public void opened(GatewayConnection c) {
        cluster.execute(() -> {
            if (c == conn && state == State.CONNECTING) {
                state = State.HELLO;
                publishStatus();
            }
        });
    }

    @Override
    public void message(GatewayConnection c, ByteBuf data, boolean binary, long receivedNanos) {
        cluster.execute(() -> {
            try {
                if (c == conn && c != dropping) {
                    onMessage(data, binary, receivedNanos);
                }
            } finally {
                data.release();
                c.processed();
            }
        });
    }

    @Override
    public void closed(GatewayConnection c, int code, String reason) {
        cluster.execute(() -> {
            if (c == conn) {
                onClosed(code, reason);
            }
        });
    }

    // ---- Cluster thread.

    private void onMessage(ByteBuf data, boolean binary, long receivedNanos) {
        byte[] buf;
        int len;
        if (binary) {
            try {
                if (!zlib.feed(data.nioBuffer())) {
                    return;
                }
            } catch (DataFormatException e) {
                LOG.log(System.Logger.Level.WARNING, "shard " + id + ": malformed zlib-stream data (" + e.getMessage()
                        + "); reconnecting to resume from seq " + seq);
                dropConnection(4000, "bad compressed frame");
                return;
            }
            buf = zlib.buffer();
            len = zlib.length();
        } else {
            len = data.readableBytes();
            if (text.length < len) {
                text = new byte[Math.max(len, text.length * 2)];
            }
            data.getBytes(data.readerIndex(), text, 0, len);
            buf = text;
        }
        try {
            header.read(buf, 0, len);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "shard " + id + ": " + e.getMessage() + ": "
                    + abbreviate(buf, len) + "; reconnecting to resume from seq " + seq);
            dropConnection(4000, "malformed frame");
            return;
        }
        long now = System.nanoTime();
        switch (header.op) {
            case Opcode.DISPATCH -> onDispatch(buf, len, receivedNanos);
            case Opcode.HELLO -> onHello(now);
            case Opcode.HEARTBEAT -> sendHeartbeat(now, false);
            case Opcode.HEARTBEAT_ACK -> {
                awaitingAck = false;
                latencyMs = (now - heartbeatSentAt) / 1_000_000L;
            }
            case Opcode.RECONNECT -> {
                LOG.log(System.Logger.Level.INFO, "shard " + id + ": gateway asked to reconnect (op 7); resuming");
                dropConnection(4000, "reconnect requested");
            }
            case Opcode.INVALID_SESSION -> onInvalidSession(header.flag);
            default -> LOG.log(System.Logger.Level.DEBUG, "shard " + id + ": ignoring op " + header.op);
        }
    }

    private void onHello(long now) {
        if (header.heartbeatInterval <= 0) {
            LOG.log(System.Logger.Level.WARNING, "shard " + id + ": Hello without heartbeat_interval; reconnecting");
            dropConnection(4000, "bad hello");
            return;
        }
        heartbeatIntervalNanos = header.heartbeatInterval * 1_000_000L;
        limiter = new CommandLimiter(header.heartbeatInterval);
        nextHeartbeat = now + (long) (heartbeatIntervalNanos * ThreadLocalRandom.current().nextDouble());
        if (session != null) {
            state = State.RESUMING;
            deadline = now + READY_TIMEOUT_NANOS;
            conn.send(Payloads.resume(ctx.token(), session.id(), seq));
            limiter.control(now);
        } else {
            state = State.QUEUED;
            deadline = NEVER;
            GatewayConnection queuedFor = conn;
            ctx.identifyQueue().request(id, () -> cluster.execute(() -> identify(queuedFor)));
        }
        publishStatus();
    }

    private void identify(GatewayConnection queuedFor) {
        if (queuedFor != conn || state != State.QUEUED) {
            // the connection we queued for is gone; the new one queues again after its Hello
            return;
        }
        state = State.IDENTIFYING;
        identifies++;
        deadline = System.nanoTime() + READY_TIMEOUT_NANOS;
        Identify how = ctx.controllers().onIdentify(new Identify(id, Payloads.DEFAULT_LARGE_THRESHOLD, ""));
        conn.send(Payloads.identify(ctx.token(), id, ctx.totalShards(), ctx.intents(), how.largeThreshold(), how.presence()),
                () -> ctx.identifyQueue().sent(id));
        limiter.control(System.nanoTime());
        publishStatus();
    }

    private void onInvalidSession(boolean resumable) {
        if (resumable && session != null) {
            LOG.log(System.Logger.Level.INFO, "shard " + id + ": invalid session (resumable); resuming");
            dropConnection(4000, "invalid session");
            return;
        }
        LOG.log(System.Logger.Level.INFO, "shard " + id + ": invalid session; identifying anew in " + ctx.backoff().unitMs()
                + "-" + 5 * ctx.backoff().unitMs() + " ms");
        forgetSession();
        closeConnection(4000, "invalid session");
        scheduleReconnect(ctx.backoff().afterInvalidSessionNanos());
    }

    private void onDispatch(byte[] buf, int len, long receivedNanos) {
        String type = header.type;
        boolean ready = "READY".equals(type);
        if (!ready && seq >= 0 && header.seq != seq + 1) {
            if (header.seq >= 0 && header.seq <= seq) {
                duplicates++;
                return; // replayed after a resume and already published: (shard, session, seq) is delivered once
            }
            LOG.log(System.Logger.Level.WARNING, "shard " + id + ": seq jumped from " + seq + " to " + header.seq
                    + " (" + type + "); reconnecting to resume from " + seq);
            dropConnection(4000, "sequence gap");
            return;
        }
        seq = header.seq;
        dispatches++;
        if (ready) {
            session = header.sessionId == null || header.resumeGatewayUrl == null ? null
                    : new Session(header.sessionId, header.resumeGatewayUrl, ctx.totalShards(), ctx.gatewayUrl());
            if (session == null) {
                LOG.log(System.Logger.Level.WARNING, "shard " + id + ": READY without session_id or resume_gateway_url;"
                        + " this session cannot be resumed");
            }
            onReady(buf, len);
        } else if ("RESUMED".equals(type)) {
            resumes++;
            markReady("resumed at seq " + seq);
        }
        GuildKind kind = GuildKind.NONE;
        if ("GUILD_CREATE".equals(type)) {
            kind = guildTracker.created(header.guildId);
        } else if ("GUILD_DELETE".equals(type)) {
            kind = guildTracker.deleted(header.guildId, header.flag);
        }
        publish(session, header.seq, type, header.guildId, kind, buf, len, receivedNanos);
        if ((ready || kind != GuildKind.NONE || ("RESUMED".equals(type) && guildsFromState)) && guildTracker.justLoaded()) {
            signalLoaded();
        }
    }

    /**
     * Puts {@code GATEHOUSE_SHARD_LOADED} in the stream once the shard has every guild READY listed (or, for a
     * session resumed from a previous process, at RESUMED), and {@code GATEHOUSE_ALL_LOADED} once every shard of
     * the process has. Both are op 0 frames with {@code "s":null} carrying the shard's last seq in the envelope.
     */
    private void signalLoaded() {
        guildsFromState = false;
        emit(SHARD_LOADED, "{\"shard_id\":" + id + ",\"guilds\":" + guildTracker.count() + "}");
        if (ctx.loaded().loaded(id)) {
            emit(ALL_LOADED, "{\"shards\":" + ctx.loaded().total() + "}");
        }
        publishStatus();
    }

    private void emit(String type, String d) {
        byte[] frame = ("{\"op\":0,\"s\":null,\"t\":\"" + type + "\",\"d\":" + d + "}").getBytes(StandardCharsets.US_ASCII);
        publish(session, seq, type, 0, GuildKind.NONE, frame, frame.length, System.nanoTime());
    }

    /**
     * Hands a dispatch to the ring without waiting. When the ring is full (or older dispatches are held) it is
     * copied and held, and the socket stops being read until the ring has room: heartbeats keep going.
     */
    private void publish(Session s, long dispatchSeq, String type, long guildId, GuildKind kind, byte[] buf, int len,
                         long receivedNanos) {
        if (held.isEmpty() && ctx.ring().tryPublish(id, s, dispatchSeq, type, guildId, kind, buf, 0, len, receivedNanos)) {
            return;
        }
        held.add(new Held(s, dispatchSeq, type, guildId, kind, java.util.Arrays.copyOf(buf, len), receivedNanos));
        heldBytes += len;
        if (heldBytes > ctx.maxHeldBytes() && !closedForRoom && conn != null && conn != dropping) {
            closedForRoom = true;
            LOG.log(System.Logger.Level.WARNING, "shard " + id + ": holds " + heldBytes + " bytes of dispatches for the full ring"
                    + " (gateway.maxHeldBytes=" + ctx.maxHeldBytes() + "); closing resumably, resuming once the ring has room");
            dropConnection(4000, "consumer backlog");
        }
        if (pausedSince == NEVER) {
            pausedSince = System.nanoTime();
            pausedSinceHeartbeat = true;
            pauses++;
            if (conn != null) {
                pausedOnConnection = true;
                conn.pauseReading();
            }
            LOG.log(System.Logger.Level.INFO, "shard " + id + ": the ring is full (the database or the bot is slow);"
                    + " reading from the gateway paused, heartbeats continue");
        }
    }

    /** Offers held dispatches to the ring in order; reads again once all are in, or closes resumably after too long. */
    private void offerHeld(long now) {
        if (publishHeld()) {
            LOG.log(System.Logger.Level.INFO, "shard " + id + ": the ring has room again; reading resumed after "
                    + (now - pausedSince) / 1_000_000 + " ms");
            pausedSince = NEVER;
            if (conn != null) {
                conn.resumeReading();
            }
            return;
        }
        if (!closedForRoom && conn != null && conn != dropping && now - pausedSince > ctx.maxPausedNanos()) {
            closedForRoom = true;
            LOG.log(System.Logger.Level.WARNING, "shard " + id + ": reading paused for " + (now - pausedSince) / 1_000_000
                    + " ms (gateway.maxPausedMs); closing resumably, resuming once the ring has room");
            dropConnection(4000, "consumer backlog");
        }
    }

    /** Offers held dispatches to the ring, oldest first, until it is full; true when none is left. */
    private boolean publishHeld() {
        while (!held.isEmpty()) {
            Held h = held.peek();
            if (!ctx.ring().tryPublish(id, h.session(), h.seq(), h.type(), h.guildId(), h.kind(), h.frame(), 0, h.frame().length,
                    h.receivedNanos())) {
                return false;
            }
            heldBytes -= held.poll().frame().length;
        }
        return true;
    }

    /**
     * Cluster thread, once stopped: offers what is still held to the ring (the process is stopping, the ring
     * still drains); returns how many dispatches are left held.
     */
    int publishHeldAtStop() {
        publishHeld();
        return held.size();
    }

    private void onReady(byte[] buf, int len) {
        long[] listed = new long[0];
        try {
            listed = ReadyGuilds.read(buf, 0, len);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "shard " + id + ": could not read READY's guild list: " + e.getMessage());
        }
        guildTracker.ready(listed);
        guildsFromState = false;
        markReady("ready with " + listed.length + " guilds, session " + shortSession());
    }

    private void markReady(String what) {
        failedResumes = 0;
        state = State.READY;
        deadline = NEVER;
        failures = 0;
        LOG.log(System.Logger.Level.INFO, "shard " + id + ": " + what
                + (commands.isEmpty() ? "" : "; sending " + commands.size() + " queued commands"));
        sendCommands(System.nanoTime());
        publishStatus();
    }

    /**
     * Cluster thread: queues a command payload (op 3, 4 or 8) for the gateway. It goes out when the shard is
     * READY and the send limit has room; returns false when the queue is full or the shard is stopped.
     */
    boolean command(String payload) {
        if (state == State.STOPPED || commandsTaken || commands.size() >= MAX_QUEUED_COMMANDS) {
            return false;
        }
        commands.add(payload);
        sendCommands(System.nanoTime());
        publishStatus();
        return true;
    }

    /**
     * Cluster thread, at a reshard's switch: the queued commands not sent yet, oldest first, for the new set to
     * send; from now on this shard takes no command (its set is being replaced).
     */
    java.util.List<String> takeCommands() {
        java.util.List<String> out = new java.util.ArrayList<>(commands);
        commands.clear();
        commandsTaken = true;
        publishStatus();
        return out;
    }

    /** Sends queued commands while READY and within the limit; schedules the rest for when a slot frees up. */
    private void sendCommands(long now) {
        if (state != State.READY || conn == null || conn == dropping || commands.isEmpty()) {
            return; // a connection being dropped takes nothing more: its commands go after the resume
        }
        while (!commands.isEmpty() && limiter.tryCommand(now)) {
            conn.send(commands.poll());
        }
        if (!commands.isEmpty()) {
            commandAt = limiter.nextCommandAt(now);
        }
    }

    private void onClosed(int code, String reason) {
        // a connection that ends before RESUMED while the shard holds a session is a failed resume, whether the
        // gateway refused it or its resume URL could not even be reached (a gateway that is gone)
        // ... unless we paused its reading (the RESUMED sat unread behind held replays) or closed it for room
        boolean wasResuming = session != null && state != State.READY && !pausedOnConnection && !closedForRoom;
        pausedOnConnection = false;
        detach();
        if (stopping) {
            publishStatus();
            return;
        }
        if (code >= 0) {
            lastCloseCode = code;
        }
        CloseCode.Action action = code < 0 ? CloseCode.Action.RESUME : CloseCode.actionFor(code);
        String cause = code < 0 ? "connection lost" + (reason.isEmpty() ? "" : " (" + reason + ")")
                : "closed with " + CloseCode.describe(code);
        if (action == CloseCode.Action.STOP) {
            state = State.STOPPED;
            if (code == CloseCode.SHARDING_REQUIRED.code()) {
                LOG.log(System.Logger.Level.ERROR, "shard " + id + ": " + cause + "; the shard stops and a reshard is asked for");
                publishStatus();
                ctx.shardingRequired().accept(id);
                return;
            }
            LOG.log(System.Logger.Level.ERROR, "shard " + id + ": " + cause + "; the shard stops, the others keep running");
            publishStatus();
            return;
        }
        if (action == CloseCode.Action.IDENTIFY) {
            forgetSession();
        } else if (wasResuming && ++failedResumes >= MAX_FAILED_RESUMES) {
            LOG.log(System.Logger.Level.WARNING, "shard " + id + ": " + failedResumes + " resumes in a row got no RESUMED"
                    + " (last: " + cause + "); giving the session up and identifying anew");
            forgetSession();
            failures = 0; // a fresh identify starts its own backoff; the identify queue paces it
        }
        failures++;
        long backoff = ctx.backoff().nanos(failures);
        LOG.log(System.Logger.Level.INFO, "shard " + id + ": " + cause + "; "
                + (session != null ? "resuming" : "identifying") + " in " + backoff / 1_000_000 + " ms");
        scheduleReconnect(backoff);
    }

    private void scheduleReconnect(long delayNanos) {
        state = State.RECONNECTING;
        reconnectAt = System.nanoTime() + delayNanos;
        publishStatus();
    }

    private void forgetSession() {
        failedResumes = 0;
        session = null;
        seq = -1;
    }

    /** Closes the current connection with a code that keeps the session resumable; reconnect follows the close. */
    private void dropConnection(int code, String reason) {
        if (conn != null) {
            dropping = conn;
            conn.close(code, reason);
        }
    }

    /** Closes the current connection and handles it as gone now (the close callback will be stale). */
    private void closeConnection(int code, String reason) {
        GatewayConnection c = conn;
        detach();
        if (c != null) {
            c.close(code, reason);
        }
    }

    /** Forgets the current connection, its inflater and its timers. */
    private void detach() {
        conn = null;
        commandAt = NEVER;
        nextHeartbeat = NEVER;
        deadline = NEVER;
        if (zlib != null) {
            zlib.close();
            zlib = null;
        }
    }

    /**
     * Sends op 1. Only scheduled heartbeats arm the zombie check: a heartbeat the gateway asked for (op 1)
     * whose ACK is still on its way when the next scheduled one falls due says nothing about the connection.
     */
    private void sendHeartbeat(long now, boolean scheduled) {
        if (conn != null) {
            heartbeatSentAt = now;
            if (scheduled) {
                awaitingAck = true;
            }
            conn.send(Payloads.heartbeat(seq));
            limiter.control(now);
        }
    }

    private String shortSession() {
        return session == null ? "-" : session.id().length() > 8 ? session.id().substring(0, 8) + "..." : session.id();
    }

    /** Makes the current state and counters visible to {@link #status()}. Cluster thread only. */
    void publishStatus() {
        if (status != null && !status.state().equals(state.name())) {
            ctx.controllers().onShardStatus(new ShardState(id, state.name(), status.state(), seq, guildTracker.count(),
                    guildTracker.allLoaded() && state == State.READY));
            LOG.log(System.Logger.Level.INFO, "shard " + id + ": " + status.state() + " -> " + state + " (session " + shortSession()
                    + ", seq " + seq + ", identifies " + identifies + ", resumes " + resumes + ", last close "
                    + (lastCloseCode < 0 ? "-" : String.valueOf(lastCloseCode)) + ")");
        }
        statusAt = System.nanoTime();
        status = new ShardStatus(id, state.name(), session == null ? "" : session.id(), seq, latencyMs, identifies, resumes,
                lastCloseCode, guildTracker.count(), guildTracker.loaded(), dispatches, commands.size(), pausedSince != NEVER, pauses,
                guildTracker.allLoaded() && state == State.READY);
    }

    private static String abbreviate(byte[] buf, int len) {
        String s = new String(buf, 0, Math.min(len, 200), StandardCharsets.UTF_8);
        return len > 200 ? s + "..." : s;
    }
}
