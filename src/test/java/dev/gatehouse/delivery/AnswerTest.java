package dev.gatehouse.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What each HTTP answer of the bot means, and how Retry-After is read. */
class AnswerTest {

    @Test
    void statusesMeanWhatHttpSays() {
        for (int s : new int[] {200, 202, 204, 299}) {
            assertEquals(Answer.Verdict.DELIVERED, Answer.verdictOf(s), "HTTP " + s);
        }
        for (int s : new int[] {400, 413, 422}) {
            assertEquals(Answer.Verdict.REFUSED, Answer.verdictOf(s), "HTTP " + s + " refuses that event");
        }
        for (int s : new int[] {401, 403, 404, 405, 421, 408, 429, 500, 502, 503, 504, 301, 410, 418}) {
            assertEquals(Answer.Verdict.HOLD, Answer.verdictOf(s), "HTTP " + s + " holds the stream");
        }
    }

    @Test
    void retryAfterIsSecondsWithFractionsAndAnythingElseIsAbsent() {
        assertEquals(2_000, BotClient.retryAfterMs("2"));
        assertEquals(250, BotClient.retryAfterMs(" 0.25 "));
        assertEquals(0, BotClient.retryAfterMs(""));
        assertEquals(0, BotClient.retryAfterMs("-3"));
        assertEquals(0, BotClient.retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT"));
        assertEquals(600_000, BotClient.retryAfterMs("86400"), "capped at 10 minutes");
    }
}
