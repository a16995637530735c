package dev.gatehouse.discord;

import java.util.Locale;

/** Gateway intents and their bits (Discord API v10). */
public enum Intent {
    GUILDS(0), GUILD_MEMBERS(1), GUILD_MODERATION(2), GUILD_EXPRESSIONS(3), GUILD_INTEGRATIONS(4),
    GUILD_WEBHOOKS(5), GUILD_INVITES(6), GUILD_VOICE_STATES(7), GUILD_PRESENCES(8), GUILD_MESSAGES(9),
    GUILD_MESSAGE_REACTIONS(10), GUILD_MESSAGE_TYPING(11), DIRECT_MESSAGES(12), DIRECT_MESSAGE_REACTIONS(13),
    DIRECT_MESSAGE_TYPING(14), MESSAGE_CONTENT(15), GUILD_SCHEDULED_EVENTS(16), AUTO_MODERATION_CONFIGURATION(20),
    AUTO_MODERATION_EXECUTION(21), GUILD_MESSAGE_POLLS(24), DIRECT_MESSAGE_POLLS(25);

    /** Intents Discord only grants when enabled for the application. */
    public static final long PRIVILEGED = GUILD_MEMBERS.bit() | GUILD_PRESENCES.bit() | MESSAGE_CONTENT.bit();

    private final int shift;

    Intent(int shift) {
        this.shift = shift;
    }

    public long bit() {
        return 1L << shift;
    }

    /** Every defined bit. */
    public static long all() {
        long v = 0;
        for (Intent i : values()) {
            v |= i.bit();
        }
        return v;
    }

    /**
     * Parses a number or comma-separated names.
     *
     * @throws IllegalArgumentException naming the unknown intent
     */
    public static long parse(String spec) {
        String s = spec.strip();
        if (!s.isEmpty() && s.chars().allMatch(Character::isDigit)) {
            long v = Long.parseLong(s);
            if ((v & ~all()) != 0) {
                throw new IllegalArgumentException("unknown intent bits in " + v);
            }
            return v;
        }
        long v = 0;
        for (String part : s.split(",")) {
            String name = part.strip().toUpperCase(Locale.ROOT);
            try {
                v |= valueOf(name).bit();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown intent '" + part.strip() + "'");
            }
        }
        return v;
    }
}
