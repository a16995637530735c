package dev.gatehouse.control;

/**
 * Where resharding stands, for operators and the HTTP API ({@code /shards}, the status page).
 *
 * @param phase       {@code idle}, {@code refused} (not started: why is in {@code detail}), {@code loading} (the new
 *                    set identifies and loads in the background), {@code switching}, {@code done} or {@code failed}
 * @param fromShards  the shard count before (the running count when idle)
 * @param toShards    the new count, 0 when idle
 * @param shardsReady new shards READY
 * @param guildsLoaded guilds the new set has loaded, of {@code guilds} it was told about in its READYs
 * @param detail      one line for an operator: the reason it started, or why it was refused or failed
 */
public record ReshardStatus(String phase, int fromShards, int toShards, int shardsReady, int guildsLoaded, int guilds,
                            String detail) {

    /** True while a reshard runs (loading or switching). */
    public boolean running() {
        return "loading".equals(phase) || "switching".equals(phase);
    }
}
