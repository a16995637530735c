package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The world's size knob: members per guild on average, capped at maxMembers; and the extras every guild can have. */
class WorldSizeTest {

    @Test
    void averageMembersSetsHowManyMembersTheWorldCarries() {
        World w = new World(1, 2500, 4500, 100);
        long members = w.counts()[3];
        assertTrue(members > 200_000 && members < 300_000, "2500 guilds of 100 on average: " + members);
        int largest = w.guildList.stream().mapToInt(g -> g.members.size()).max().orElseThrow();
        assertTrue(largest <= 4500 && largest > 1000, "heavy-tailed, capped: largest " + largest);
        long classic = new World(1, 2500, 4500).counts()[3];
        assertTrue(classic < 100_000, "without the knob the original tail: " + classic);
    }

    @Test
    void theExtrasDoNotChangeTheSeededWorld() {
        World a = new World(7, 200, 1000);
        WorldSnapshot s = a.snapshot();
        assertTrue(!s.emojis().isEmpty() && !s.stickers().isEmpty() && !s.scheduledEvents().isEmpty()
                && !s.stageInstances().isEmpty() && !s.threadMembers().isEmpty(), "extras: " + s.counts());
        assertEquals(s.guilds(), new World(7, 200, 1000).snapshot().guilds(), "reproducible");
        long ids = s.emojis().stream().map(WorldSnapshot.Emoji::id).distinct().count();
        assertEquals(s.emojis().size(), ids, "emoji ids unique");
    }

    @Test
    void aBadAverageIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SimOptions.parse(List.of("--averageMembers=-3")));
        assertTrue(e.getMessage().contains("--averageMembers"), e.getMessage());
        assertEquals(100, SimOptions.parse(List.of("--averageMembers=100")).averageMembers());
    }
}
