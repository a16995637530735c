package dev.gatehouse.spi;

/**
 * The parts of a shard's identify a controller may change.
 *
 * @param shardId        the shard identifying (informational)
 * @param largeThreshold Discord's {@code large_threshold}, 50 to 250
 * @param presence       the {@code presence} object as raw JSON ({@code {"status":"online","activities":[],...}}),
 *                       or {@code ""} for none
 */
public record Identify(int shardId, int largeThreshold, String presence) {
    public Identify {
        if (largeThreshold < 50 || largeThreshold > 250) {
            throw new IllegalArgumentException("large_threshold must be 50..250, got " + largeThreshold);
        }
        if (presence == null) {
            throw new IllegalArgumentException("presence must be \"\" or a JSON object");
        }
    }
}
