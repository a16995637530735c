package dev.gatehouse.discord;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Canonical instances of the dispatch type names, so the hot path keeps one String per type instead of one
 * per frame, and types compare by identity where it matters. A known name is found from its UTF-8 bytes
 * without allocating; an unknown one becomes a new String.
 */
final class DispatchTypes {
    /** Every dispatch of API v10 (fixtures' {@code _known_gateway_events.txt}) plus RATE_LIMITED. */
    private static final String[] KNOWN = {
        "AUTO_MODERATION_ACTION_EXECUTION", "AUTO_MODERATION_RULE_CREATE", "AUTO_MODERATION_RULE_DELETE",
        "AUTO_MODERATION_RULE_UPDATE", "CHANNEL_CREATE", "CHANNEL_DELETE", "CHANNEL_PINS_UPDATE", "CHANNEL_UPDATE",
        "ENTITLEMENT_CREATE", "ENTITLEMENT_DELETE", "ENTITLEMENT_UPDATE", "GUILD_AUDIT_LOG_ENTRY_CREATE",
        "GUILD_BAN_ADD", "GUILD_BAN_REMOVE", "GUILD_CREATE", "GUILD_DELETE", "GUILD_EMOJIS_UPDATE",
        "GUILD_INTEGRATIONS_UPDATE", "GUILD_MEMBER_ADD", "GUILD_MEMBER_REMOVE", "GUILD_MEMBERS_CHUNK",
        "GUILD_MEMBER_UPDATE", "GUILD_ROLE_CREATE", "GUILD_ROLE_DELETE", "GUILD_ROLE_UPDATE",
        "GUILD_SCHEDULED_EVENT_CREATE", "GUILD_SCHEDULED_EVENT_DELETE", "GUILD_SCHEDULED_EVENT_UPDATE",
        "GUILD_SCHEDULED_EVENT_USER_ADD", "GUILD_SCHEDULED_EVENT_USER_REMOVE", "GUILD_SOUNDBOARD_SOUND_CREATE",
        "GUILD_SOUNDBOARD_SOUND_DELETE", "GUILD_SOUNDBOARD_SOUNDS_UPDATE", "GUILD_SOUNDBOARD_SOUND_UPDATE",
        "GUILD_STICKERS_UPDATE", "GUILD_UPDATE", "INTEGRATION_CREATE", "INTEGRATION_DELETE", "INTEGRATION_UPDATE",
        "INTERACTION_CREATE", "INVITE_CREATE", "INVITE_DELETE", "MESSAGE_CREATE", "MESSAGE_DELETE",
        "MESSAGE_DELETE_BULK", "MESSAGE_POLL_VOTE_ADD", "MESSAGE_POLL_VOTE_REMOVE", "MESSAGE_REACTION_ADD",
        "MESSAGE_REACTION_REMOVE", "MESSAGE_REACTION_REMOVE_ALL", "MESSAGE_REACTION_REMOVE_EMOJI", "MESSAGE_UPDATE",
        "PRESENCE_UPDATE", "RATE_LIMITED", "READY", "RESUMED", "SOUNDBOARD_SOUNDS", "STAGE_INSTANCE_CREATE",
        "STAGE_INSTANCE_DELETE", "STAGE_INSTANCE_UPDATE", "SUBSCRIPTION_CREATE", "SUBSCRIPTION_DELETE",
        "SUBSCRIPTION_UPDATE", "THREAD_CREATE", "THREAD_DELETE", "THREAD_LIST_SYNC", "THREAD_MEMBERS_UPDATE",
        "THREAD_MEMBER_UPDATE", "THREAD_UPDATE", "TYPING_START", "USER_UPDATE", "VOICE_CHANNEL_EFFECT_SEND",
        "VOICE_CHANNEL_START_TIME_UPDATE", "VOICE_CHANNEL_STATUS_UPDATE", "VOICE_SERVER_UPDATE", "VOICE_STATE_UPDATE",
        "WEBHOOKS_UPDATE",
    };
    /** Open-addressed table of the known names' bytes, indexed by {@link #slot}; a power of two, under half full. */
    private static final byte[][] TABLE_BYTES = new byte[256][];
    private static final String[] TABLE = new String[256];

    static {
        for (String k : KNOWN) {
            byte[] b = k.getBytes(StandardCharsets.US_ASCII);
            int i = slot(b, 0, b.length);
            while (TABLE[i] != null) {
                i = (i + 1) & (TABLE.length - 1);
            }
            TABLE[i] = k;
            TABLE_BYTES[i] = b;
        }
    }

    private DispatchTypes() {
    }

    /** A cheap hash of a name: its length, its first and last bytes and one from the middle (all known names differ here often enough). */
    private static int slot(byte[] b, int from, int to) {
        int n = to - from;
        int h = n * 31 + b[from] * 7 + b[to - 1] * 131 + b[from + n / 2] * 17 + b[from + (n * 3) / 4];
        return h & (TABLE.length - 1);
    }

    /** The canonical String of the UTF-8 name in {@code b[from, to)}. */
    static String canonical(byte[] b, int from, int to) {
        String known = known(b, from, to);
        return known != null ? known : new String(b, from, to - from, StandardCharsets.UTF_8);
    }

    /** The canonical instance of a decoded name (itself when the name is not known). */
    static String canonical(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        String known = known(b, 0, b.length);
        return known != null ? known : s;
    }

    private static String known(byte[] b, int from, int to) {
        if (to > from) {
            int i = slot(b, from, to);
            byte[] k;
            while ((k = TABLE_BYTES[i]) != null) {
                if (Arrays.equals(k, 0, k.length, b, from, to)) {
                    return TABLE[i];
                }
                i = (i + 1) & (TABLE.length - 1);
            }
        }
        return null;
    }
}
