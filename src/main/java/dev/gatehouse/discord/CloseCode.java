package dev.gatehouse.discord;

/**
 * Gateway close codes and what a client does after each (Discord's table): reconnect and resume, reconnect
 * and identify anew, or stop the shard because retrying cannot help.
 */
public enum CloseCode {
    UNKNOWN_ERROR(4000, Action.RESUME, "unknown error"),
    UNKNOWN_OPCODE(4001, Action.RESUME, "unknown opcode"),
    DECODE_ERROR(4002, Action.RESUME, "decode error"),
    NOT_AUTHENTICATED(4003, Action.IDENTIFY, "payload sent before identify"),
    AUTHENTICATION_FAILED(4004, Action.STOP, "authentication failed: the bot token is invalid"),
    ALREADY_AUTHENTICATED(4005, Action.IDENTIFY, "identified twice"),
    INVALID_SEQ(4007, Action.IDENTIFY, "invalid seq on resume"),
    RATE_LIMITED(4008, Action.RESUME, "rate limited: too many payloads sent"),
    SESSION_TIMED_OUT(4009, Action.IDENTIFY, "session timed out"),
    INVALID_SHARD(4010, Action.STOP, "invalid shard"),
    SHARDING_REQUIRED(4011, Action.STOP, "sharding required: too many guilds for the shard count"),
    INVALID_API_VERSION(4012, Action.STOP, "invalid API version"),
    INVALID_INTENTS(4013, Action.STOP, "invalid intents"),
    DISALLOWED_INTENTS(4014, Action.STOP, "disallowed intents: enable them for the application or remove them");

    /** What the client does after a close. */
    public enum Action { RESUME, IDENTIFY, STOP }

    /** The close code Gatehouse sends when it stops but wants the session to stay resumable (not 1000/1001). */
    public static final int RESUMABLE_SHUTDOWN = 4900;

    private final int code;
    private final Action action;
    private final String meaning;

    CloseCode(int code, Action action, String meaning) {
        this.code = code;
        this.action = action;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }

    /** The client's action after this close code; unknown codes and abnormal closes resume. */
    public static Action actionFor(int code) {
        CloseCode c = of(code);
        if (c != null) {
            return c.action;
        }
        return code == 1000 || code == 1001 ? Action.IDENTIFY : Action.RESUME;
    }

    /** The named code, or null for codes outside Discord's table. */
    public static CloseCode of(int code) {
        for (CloseCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }

    /** "4004 (authentication failed: ...)" or just the number. */
    public static String describe(int code) {
        CloseCode c = of(code);
        return c == null ? Integer.toString(code) : code + " (" + c.meaning + ")";
    }
}
