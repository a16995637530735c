package dev.gatehouse.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One gateway session as Discord keeps it: shard, sequence counter, the frames it sent (kept for RESUME),
 * and the truth of every dispatch it sent. Survives its connection so a client can resume. World thread only,
 * except {@link #sent()}, which copies under the session's lock.
 */
public final class GatewaySession {
    static final int REPLAY_FRAMES = 20_000;

    /** A dispatch the simulator sent: what tests compare with what the bot received. */
    public record Sent(long seq, String type, long guildId) {
    }

    final String id;
    final int shardId;
    final int shardCount;
    private final boolean recordTruth;
    private final ArrayDeque<byte[]> replay = new ArrayDeque<>();
    private long firstReplaySeq = 1;
    private final List<Sent> sent = new ArrayList<>();
    /** Per entry of {@link #sent}, the world event it was (0: this session's own). */
    private final List<Long> worldEvents = new ArrayList<>();
    private long seq;
    private long count;
    SimConnection connection;
    boolean ended;
    /** The intents the session identified with. */
    long intents;
    /** The large_threshold the session identified with (Discord's default 50). */
    int largeThreshold = 50;
    /** When the connection went away without ending the session (System.nanoTime), 0 while connected. */
    long droppedAtNanos;
    /** How each of the session's connections ended, oldest first: "close 1000", "dropped without a close frame". */
    private final List<String> endings = new ArrayList<>();

    GatewaySession(String id, int shardId, int shardCount, boolean recordTruth) {
        this.id = id;
        this.shardId = shardId;
        this.shardCount = shardCount;
        this.recordTruth = recordTruth;
    }

    /** Assigns the next seq, records the frame (and which world event it is, 0 for none), and returns it. */
    byte[] frame(String type, long guildId, byte[] d, long worldEvent) {
        long s = ++seq;
        byte[] head = ("{\"t\":\"" + type + "\",\"s\":" + s + ",\"op\":0,\"d\":").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] f = new byte[head.length + d.length + 1];
        System.arraycopy(head, 0, f, 0, head.length);
        System.arraycopy(d, 0, f, head.length, d.length);
        f[f.length - 1] = '}';
        replay.add(f);
        if (replay.size() > REPLAY_FRAMES) {
            replay.poll();
            firstReplaySeq++;
        }
        synchronized (this) {
            count++;
            if (recordTruth) {
                sent.add(new Sent(s, type, guildId));
                worldEvents.add(worldEvent);
            }
        }
        return f;
    }

    /** Frames after {@code afterSeq}, or null when the replay buffer no longer reaches back that far. */
    List<byte[]> replayAfter(long afterSeq) {
        if (afterSeq + 1 < firstReplaySeq || afterSeq > seq) {
            return null;
        }
        List<byte[]> out = new ArrayList<>();
        long s = firstReplaySeq;
        for (byte[] f : replay) {
            if (s++ > afterSeq) {
                out.add(f);
            }
        }
        return out;
    }

    /** True when the session lost its connection longer ago than the resume window: it can no longer resume. */
    boolean expired(long nowNanos, long resumeWindowMs) {
        return connection == null && droppedAtNanos != 0 && nowNanos - droppedAtNanos > resumeWindowMs * 1_000_000L;
    }

    /** World thread: one of the session's connections ended (a client's close code, or a drop without one). */
    synchronized void ending(String how) {
        endings.add(how);
    }

    /** How each of the session's connections ended so far, oldest first (see {@link #describe()}). */
    public synchronized List<String> endings() {
        return new ArrayList<>(endings);
    }

    /**
     * How the session stands, for a test's failure message: ended or live, connected or not, and how each of its
     * connections ended ("close 1000" from the client, "dropped without a close frame").
     */
    public synchronized String describe() {
        return id + " shard " + shardId + "/" + shardCount + (ended ? " ended" : " live") + (connection != null ? ", connected" : "")
                + ", " + count + " sent, endings " + endings;
    }

    /** Session id as sent in READY. */
    public String id() {
        return id;
    }

    public int shardId() {
        return shardId;
    }

    /** Every dispatch sent so far, in seq order (empty when truth is not recorded). */
    public synchronized List<Sent> sent() {
        return new ArrayList<>(sent);
    }

    /**
     * Per dispatch of {@link #sent()}, in the same order, the world event it carried: the world's events are
     * numbered in the order they happened and every session that gets one gets the same number (what a test
     * of resharding compares, since seqs differ per session); 0 for what only this session got (READY, the
     * GUILD_CREATEs after its identify, answers to its commands).
     */
    public synchronized List<Long> worldEvents() {
        return new ArrayList<>(worldEvents);
    }

    /** Shard count the session identified with. */
    public int shardCount() {
        return shardCount;
    }

    /** How many dispatches were sent. */
    public synchronized long count() {
        return count;
    }

    /** True when this session's routing includes the guild (events without a guild go to shard 0). */
    boolean routes(long guildId) {
        return guildId == 0 ? shardId == 0 : dev.gatehouse.discord.Snowflake.shardOf(guildId, shardCount) == shardId;
    }
}
