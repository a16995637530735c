package dev.gatehouse.control;

/**
 * Resharding settings (keys {@code reshard}, {@code reshardPercentage}, {@code reshard.*}).
 *
 * @param automatic       {@code reshard}: reshard by itself on the triggers below (a manual reshard works either way)
 * @param percentage      {@code reshardPercentage}: start when the guilds reach this percentage of
 *                        {@code totalShards x guildsPerShard}
 * @param guildsPerShard  {@code reshard.guildsPerShard}: the guilds Discord lets one shard hold (2500)
 * @param checkIntervalMs {@code reshard.checkIntervalMs}: how often the triggers are checked
 * @param identifyReserve {@code reshard.identifyReserve}: identifies of the daily session_start_limit a reshard leaves
 * @param settleMs        {@code reshard.settleMs}: at the switch, how long the old set is held at most while the
 *                        new set catches up with the events the old set delivered
 * @param optimalSharding {@code useOptimalLargeBotSharding}: round the new count up to a multiple of max_concurrency
 */
public record ReshardSettings(boolean automatic, int percentage, int guildsPerShard, long checkIntervalMs, int identifyReserve,
                              long settleMs, boolean optimalSharding) {
}
