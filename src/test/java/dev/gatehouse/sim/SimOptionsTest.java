package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code gatehouse simulate} options for the session limits and the guild churn. */
class SimOptionsTest {

    @Test
    void sessionLimitsAndChurnComeFromTheCommandLine() {
        SimOptions o = SimOptions.parse(List.of("--resumeWindow=5000", "--sessionStartLimit=7", "--joinsPerMinute=30",
                "--leavesPerMinute=10", "--outagesPerMinute=4", "--outageMs=2500"));
        assertEquals(5000, o.sessionLimits().resumeWindowMs());
        assertEquals(7, o.sessionLimits().sessionStartTotal());
        assertEquals(new GuildChurn(30, 10, 4, 2500), o.churn());
        assertTrue(SimOptions.parse(List.of()).churn().isNone(), "no churn unless asked for");
    }

    @Test
    void aBadValueNamesItsOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SimOptions.parse(List.of("--sessionStartLimit=0")));
        assertTrue(e.getMessage().contains("--sessionStartLimit"), e.getMessage());
    }
}
