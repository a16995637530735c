package dev.gatehouse.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CommandLimiterTest {
    private static final long S = 1_000_000_000L;

    @Test
    void commandsStopShortOfTheLimitAndLeaveRoomForHeartbeats() {
        CommandLimiter l = new CommandLimiter(41_250); // 2 heartbeats per minute + identify/resume
        assertEquals(116, l.commandBudget());
        int sent = 0;
        while (l.tryCommand(0)) {
            sent++;
        }
        assertEquals(116, sent);
        for (int i = 0; i < 4; i++) {
            l.control(i * S);
        }
        assertFalse(l.tryCommand(10 * S), "the window is full of commands");
    }

    @Test
    void slotsComeBackAsTheWindowSlides() {
        CommandLimiter l = new CommandLimiter(41_250);
        for (int i = 0; i < 116; i++) {
            assertTrue(l.tryCommand(i * S / 10)); // 116 commands over 11.5 s
        }
        assertEquals(60 * S, l.nextCommandAt(30 * S), "the first command leaves the window at 60 s");
        assertFalse(l.tryCommand(60 * S - 1));
        assertTrue(l.tryCommand(60 * S));
        assertFalse(l.tryCommand(60 * S), "one slot freed, one taken");
        assertTrue(l.tryCommand(60 * S + S / 10));
    }

    @Test
    void fastHeartbeatsGetAtMostHalfTheWindow() {
        CommandLimiter l = new CommandLimiter(100);
        assertEquals(60, l.commandBudget());
    }
}
