package dev.gatehouse.pipeline;

/**
 * One ring slot: a gateway dispatch as it arrived, with its routing keys. Slots are preallocated and reused;
 * the payload buffer grows to the largest frame a slot has held and is never shrunk, so steady traffic
 * allocates nothing here. Consumers must copy what they keep beyond {@code onEvent}.
 */
public final class Dispatch {
    private int shardId;
    private Session session;
    private long seq;
    private String type;
    private long guildId;
    private byte[] payload = new byte[1024];
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
        if (payload.length < len) {
            payload = new byte[Math.max(len, payload.length * 2)];
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

    @Override
    public String toString() {
        return "shard " + shardId + " seq " + seq + " " + type + " (" + length + " bytes)";
    }

}
