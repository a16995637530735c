package dev.gatehouse.pipeline;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;

/**
 * One ring slot: a gateway dispatch as it arrived, with its routing keys. Slots are preallocated and reused.
 * A frame of up to {@link #SLOT_BYTES} is copied into the slot's own buffer, which grows to at most that size,
 * so steady traffic allocates nothing here. A larger frame (a GUILD_CREATE can be megabytes) is copied into an
 * array of its own instead, the same single copy, and the slot lets go of it once the last consumer of the
 * ring is done with it ({@code leafDone}): a burst of large frames does not stay pinned by the ring's slots.
 * Consumers must copy what they keep beyond {@code onEvent}.
 */
public final class Dispatch {
    /** Frames up to this size live in the slot's reused buffer; larger ones in an array released after use. */
    public static final int SLOT_BYTES = 4096;
    private static final VarHandle LEAVES_LEFT;

    static {
        try {
            LEAVES_LEFT = MethodHandles.lookup().findVarHandle(Dispatch.class, "leavesLeft", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int leaves;
    private final LongAdder retained;
    private byte[] slot = new byte[1024];
    private byte[] large; // a frame above SLOT_BYTES until the last consumer is done with it, else null
    private int leavesLeft; // consumers still to finish a large frame (VarHandle)
    private int shardId;
    private Session session;
    private long seq;
    private String type;
    private long guildId;
    private byte[] payload = slot;
    private int length;
    private long receivedNanos;
    private GuildKind kind = GuildKind.NONE;

    /**
     * @param leaves   how many consumers of the ring have no consumer after them: the last of them to finish a
     *                 large frame lets go of it
     * @param retained the ring's count of payload bytes its slots hold
     */
    Dispatch(int leaves, LongAdder retained) {
        this.leaves = leaves;
        this.retained = retained;
        retained.add(slot.length);
    }

    void set(int shardId, Session session, long seq, String type, long guildId, GuildKind kind, byte[] buf, int off, int len,
             long receivedNanos) {
        this.kind = kind;
        this.shardId = shardId;
        this.session = session;
        this.seq = seq;
        this.type = type;
        this.guildId = guildId;
        if (large != null) { // a consumer failed before letting go of it (the ring logs that); the slot is reused now
            retained.add(-large.length);
            large = null;
        }
        if (len <= SLOT_BYTES) {
            if (slot.length < len) {
                int grown = Math.min(SLOT_BYTES, Math.max(len, slot.length * 2));
                retained.add(grown - slot.length);
                slot = new byte[grown];
            }
            payload = slot;
        } else {
            large = new byte[len];
            retained.add(len);
            leavesLeft = leaves; // published to the consumers with the slot
            payload = large;
        }
        System.arraycopy(buf, off, payload, 0, len);
        this.length = len;
        this.receivedNanos = receivedNanos;
    }

    /** The shard that received it. */
    public int shardId() {
        return shardId;
    }

    /** The session it arrived in; null only for a READY whose session fields could not be read. */
    public Session session() {
        return session;
    }

    /** Gateway sequence number within the shard's session. */
    public long seq() {
        return seq;
    }

    /** Dispatch type ({@code t}), e.g. {@code MESSAGE_CREATE}. */
    public String type() {
        return type;
    }

    /** The guild it belongs to, or 0. */
    public long guildId() {
        return guildId;
    }

    /** The whole inflated gateway frame {@code {op, s, t, d}}; valid bytes are {@code [0, length())}. */
    public byte[] payload() {
        return payload;
    }

    public int length() {
        return length;
    }

    /** What a GUILD_CREATE or GUILD_DELETE means to the shard ({@link GuildKind#NONE} for other types). */
    public GuildKind kind() {
        return kind;
    }

    /** {@link System#nanoTime()} when the frame's last WebSocket fragment arrived. */
    public long receivedNanos() {
        return receivedNanos;
    }

    /**
     * Called by each last consumer of the ring once it is done with the slot: the last of them lets go of a
     * large frame's array (nothing to do for a frame in the slot's own buffer, the hot path).
     */
    void leafDone() {
        if (large != null && (int) LEAVES_LEFT.getAndAdd(this, -1) == 1) {
            retained.add(-large.length);
            large = null;
            payload = slot;
            length = 0;
        }
    }

    @Override
    public String toString() {
        return "shard " + shardId + " seq " + seq + " " + type + " (" + length + " bytes)";
    }

}
