package dev.gatehouse.sim;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a simulator serves beyond {@link SimOptions}: transport faults on every connection, and optionally a
 * recorded capture replayed as the world and the traffic instead of the synthetic ones.
 *
 * @param frames  transport faults from configuration
 * @param replay  a capture to replay (a directory of JSON files, a JSON array or JSON lines), or empty
 */
public record SimSetup(FrameFaults frames, Optional<Path> replay) {
    /** The synthetic world and traffic, every message one whole frame. */
    public static final SimSetup NONE = new SimSetup(FrameFaults.NONE, Optional.empty());

    /** The setup with a capture to replay. */
    public SimSetup withReplay(Path capture) {
        return new SimSetup(frames, Optional.of(capture));
    }

    /** The setup with these transport faults. */
    public SimSetup withFrames(FrameFaults f) {
        return new SimSetup(f, replay);
    }

    /**
     * Reads {@code --replay=path} and the transport options of {@link FrameFaults} from a command line.
     *
     * @throws IllegalArgumentException naming the bad option
     */
    public static SimSetup parse(List<String> args) {
        SimSetup s = NONE;
        for (String a : args) {
            String name = name(a);
            String value = a.substring(a.indexOf('=') + 1);
            if ("replay".equals(name)) {
                Path p = Path.of(value);
                if (!Files.isReadable(p)) {
                    throw new IllegalArgumentException("simulate: --replay names '" + value + "', which is not a readable file or directory");
                }
                s = s.withReplay(p);
            } else if (FrameFaults.OPTIONS.contains(name)) {
                s = s.withFrames(s.frames.with(name, value));
            }
        }
        return s;
    }

    /** The arguments {@link #parse} does not read, for {@link SimOptions#parse}. */
    public static List<String> others(List<String> args) {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            String name = name(a);
            if (!"replay".equals(name) && !FrameFaults.OPTIONS.contains(name)) {
                out.add(a);
            }
        }
        return out;
    }

    private static String name(String arg) {
        int eq = arg.indexOf('=');
        return arg.startsWith("--") && eq > 2 ? arg.substring(2, eq) : "";
    }
}
