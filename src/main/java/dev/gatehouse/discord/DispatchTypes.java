package dev.gatehouse.discord;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Canonical instances of the dispatch type names, so the hot path keeps one String per type instead of one
 * per frame, and types compare by identity where it matters.
 */
final class DispatchTypes {
    private static final String[] KNOWN = {
        "READY", "RESUMED", "GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE", "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "GUILD_MEMBERS_CHUNK", "GUILD_ROLE_CREATE",
        "GUILD_ROLE_UPDATE", "GUILD_ROLE_DELETE", "CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE",
        "THREAD_CREATE", "THREAD_UPDATE", "THREAD_DELETE", "THREAD_LIST_SYNC", "MESSAGE_CREATE", "MESSAGE_UPDATE",
        "MESSAGE_DELETE", "MESSAGE_DELETE_BULK", "PRESENCE_UPDATE", "TYPING_START", "USER_UPDATE",
        "VOICE_STATE_UPDATE", "MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE", "INTERACTION_CREATE",
    };
    private static final Map<String, String> CANONICAL = new HashMap<>();

    static {
        for (String k : KNOWN) {
            CANONICAL.put(k, k);
        }
    }

    private DispatchTypes() {
    }

    static String canonical(JsonParser p) throws IOException {
        String s = p.getText();
        String known = CANONICAL.get(s);
        return known != null ? known : s;
    }
}
