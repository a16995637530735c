package dev.gatehouse.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulate command line's replay and transport options: read, passed on, or refused naming the option. */
class SimSetupTest {
    @TempDir
    Path dir;

    @Test
    void readsItsOptionsAndLeavesTheRestToSimOptions() {
        List<String> args = List.of("--shards=2", "--replay=" + dir, "--fragmentBytes=512", "--slowPieces=3",
                "--slowDelayMs=20", "--partialEvery=1000", "--token=t");
        SimSetup s = SimSetup.parse(args);
        assertEquals(Optional.of(dir), s.replay());
        assertEquals(new FrameFaults(512, 3, 20, 1000), s.frames());
        assertEquals(List.of("--shards=2", "--token=t"), SimSetup.others(args));
        assertEquals(2, SimOptions.parse(SimSetup.others(args)).shards());
        assertEquals(SimSetup.NONE, SimSetup.parse(List.of("--shards=2")));
    }

    private static String refusal(String arg) {
        return assertThrows(IllegalArgumentException.class, () -> SimSetup.parse(List.of(arg))).getMessage();
    }

    @Test
    void badValuesAreRefusedNamingTheOption() {
        assertTrue(refusal("--replay=" + dir.resolve("missing.jsonl")).contains("--replay names"), "missing capture");
        assertTrue(refusal("--fragmentBytes=lots").contains("--fragmentBytes expects a whole number, got 'lots'"));
        assertTrue(refusal("--slowPieces=-1").contains("--slowPieces expects a whole number from 0 to 1000, got -1"));
        assertTrue(refusal("--partialEvery=1").contains("--partialEvery expects a whole number from 2"),
                "every message cut would cut every Hello");
    }
}
