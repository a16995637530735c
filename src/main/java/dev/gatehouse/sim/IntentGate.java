package dev.gatehouse.sim;

import dev.gatehouse.discord.Intent;

/**
 * Which guild dispatches a session receives for the intents it identified with, as Discord filters them:
 * a client without GUILD_MESSAGE_TYPING never sees TYPING_START. Dispatches no intent governs (READY,
 * RESUMED, answers to commands) always go out.
 */
final class IntentGate {
    private IntentGate() {
    }

    /** The intent a guild dispatch of this type needs, or null when none does. */
    static Intent required(String type) {
        return switch (type) {
            case "GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE", "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE",
                 "GUILD_ROLE_DELETE", "CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE", "CHANNEL_PINS_UPDATE",
                 "THREAD_CREATE", "THREAD_UPDATE", "THREAD_DELETE", "THREAD_LIST_SYNC", "THREAD_MEMBER_UPDATE",
                 "STAGE_INSTANCE_CREATE", "STAGE_INSTANCE_UPDATE", "STAGE_INSTANCE_DELETE" -> Intent.GUILDS;
            case "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "THREAD_MEMBERS_UPDATE" -> Intent.GUILD_MEMBERS;
            case "VOICE_STATE_UPDATE" -> Intent.GUILD_VOICE_STATES;
            case "PRESENCE_UPDATE" -> Intent.GUILD_PRESENCES;
            case "MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK" -> Intent.GUILD_MESSAGES;
            case "MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE", "MESSAGE_REACTION_REMOVE_ALL",
                 "MESSAGE_REACTION_REMOVE_EMOJI" -> Intent.GUILD_MESSAGE_REACTIONS;
            case "TYPING_START" -> Intent.GUILD_MESSAGE_TYPING;
            default -> null;
        };
    }

    /** True when a session with these intents receives a guild dispatch of this type. */
    static boolean receives(long intents, String type) {
        Intent needed = required(type);
        return needed == null || (intents & needed.bit()) != 0;
    }
}
