package dev.gatehouse.delivery;

/**
 * What the bot's endpoint said to one POST, sorted by what it means for the events in it.
 *
 * @param verdict      delivered, hold and retry, or refused (that event only)
 * @param status       the HTTP status, or -1 when no answer came (unreachable, timeout)
 * @param detail       the bot's body (at most {@link BotClient#MAX_BODY} characters) or the network error
 * @param retryAfterMs the bot's {@code Retry-After}, in milliseconds; 0 when absent
 */
record Answer(Verdict verdict, int status, String detail, long retryAfterMs) {

    /** The three meanings of an answer. */
    enum Verdict {
        /** 2xx: the bot has the events. */
        DELIVERED,
        /** 408, 429, 5xx, no answer, or a whole-endpoint 401/403/404/405/421 (wrong place or secret): hold, retry. */
        HOLD,
        /** 400, 413, 422: the bot refuses this event; it goes to the dead letters. */
        REFUSED
    }

    /** What an HTTP status means for the events of the request. */
    static Verdict verdictOf(int status) {
        if (status >= 200 && status < 300) {
            return Verdict.DELIVERED;
        }
        return switch (status) {
            case 400, 413, 422 -> Verdict.REFUSED;
            default -> Verdict.HOLD; // 401/403/404/405/421, 408, 429, 5xx, and anything unknown: never lose an event
        };
    }

    /** A short text for log lines. */
    String describe() {
        return (status < 0 ? "" : "HTTP " + status) + (detail.isBlank() ? "" : (status < 0 ? "" : ": ") + abbreviate(detail));
    }

    private static String abbreviate(String s) {
        String b = s.strip();
        return b.length() > 200 ? b.substring(0, 200) + "..." : b;
    }
}
