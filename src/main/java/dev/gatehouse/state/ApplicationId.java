package dev.gatehouse.state;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The id that tells the bots sharing one database apart: the bot's user id, read from the token's first segment
 * (base64 of the id, as Discord makes every bot token). It is known before connecting, which the sessions and
 * identify turns need; for bots created since 2019 it equals the application id READY reports. A token whose first
 * segment carries no id (the simulator's) belongs to application 0.
 *
 * @param id the bot's user id, or 0
 */
public record ApplicationId(long id) {

    /** Reads the id from a bot token; never fails (a token without an id gives 0), never keeps the token. */
    public static ApplicationId fromToken(String token) {
        int dot = token.indexOf('.');
        if (dot <= 0) {
            return new ApplicationId(0);
        }
        try {
            String s = new String(Base64.getUrlDecoder().decode(pad(token.substring(0, dot))), StandardCharsets.US_ASCII);
            if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return new ApplicationId(0);
            }
            return new ApplicationId(Long.parseLong(s));
        } catch (IllegalArgumentException e) {
            return new ApplicationId(0);
        }
    }

    private static String pad(String b64) {
        return b64.replace('+', '-').replace('/', '_') + "=".repeat((4 - b64.length() % 4) % 4);
    }
}
