package dev.gatehouse.pipeline;

/**
 * One ring slot: a gateway dispatch as it arrived, with its routing keys. Slots are preallocated and reused.
 * A frame of up to {@link #SLOT_BYTES} is copied into the slot's own buffer, which grows to at most that size
 * and is kept, so steady traffic allocates nothing here. A larger frame (a GUILD_CREATE: up to megabytes) gets
 * an array of its own in a second field, the same single copy, and the small buffer stays for the next frame; the
 * ring's reclaimer lets go of it once every consumer has passed the slot ({@link #release}), so a burst of large
 * frames is not pinned by the slots afterwards. While the ring is idle the reclaimer drops the kept buffer too.
 * Consumers must copy what they keep beyond the batch that handed them the slot (their sequence's release).
 */
public final class Dispatch {
    /** Frames up to this size live in the slot's kept buffer; a larger one in an array dropped once consumed. */
    public static final int SLOT_BYTES = 4096;
    private static final int FIRST_BYTES = 1024;
    private static final byte[] NONE = new byte[0];

    private int shardId;
    private Session session;
    private long seq;
    private String type;
    private long guildId;
    private byte[] small = NONE; // kept, at most SLOT_BYTES; allocated at first use: an idle ring holds nothing
    private byte[] large = NONE; // the current frame when larger than SLOT_BYTES, until released
    private int length;
    private long receivedNanos;
    private GuildKind kind = GuildKind.NONE;

    /** An empty slot (the ring preallocates them). */
    public Dispatch() {
    }

    /**
     * A dispatch kept outside the ring and handed to a consumer again, as it arrived (the state journal replays
     * them once PostgreSQL is back). Copies {@code frame}.
     */
    public Dispatch(int shardId, Session session, long seq, String type, long guildId, GuildKind kind, byte[] frame,
                    long receivedNanos) {
        set(shardId, session, seq, type, guildId, kind, frame, 0, frame.length, receivedNanos);
    }

    void set(int shardId, Session session, long seq, String type, long guildId, GuildKind kind, byte[] buf, int off, int len,
             long receivedNanos) {
        this.kind = kind;
        this.shardId = shardId;
        this.session = session;
        this.seq = seq;
        this.type = type;
        this.guildId = guildId;
        if (len > SLOT_BYTES) {
            large = new byte[len]; // the small buffer stays: the next small frame reuses it
            System.arraycopy(buf, off, large, 0, len);
        } else {
            large = NONE;
            if (small.length < len) {
                small = new byte[Math.min(SLOT_BYTES, Math.max(len, Math.max(FIRST_BYTES, small.length * 2)))];
            }
            System.arraycopy(buf, off, small, 0, len);
        }
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
        return length > SLOT_BYTES ? large : small;
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
     * Lets go of a frame larger than {@link #SLOT_BYTES}, and with {@code kept} of the slot's kept buffer too (the
     * ring is idle: the next frame here may allocate). Only the ring's reclaimer calls it, for a slot every
     * consumer has passed: no consumer reads the slot then, and the producer cannot claim it before.
     */
    void release(boolean kept) {
        if (length > SLOT_BYTES || kept) {
            length = 0;
        }
        large = NONE;
        if (kept) {
            small = NONE;
        }
    }

    /** The bytes this slot's buffer holds (its capacity, not the frame's length). */
    int retainedBytes() {
        return small.length + large.length;
    }

    @Override
    public String toString() {
        return "shard " + shardId + " seq " + seq + " " + type + " (" + length + " bytes)";
    }

}
