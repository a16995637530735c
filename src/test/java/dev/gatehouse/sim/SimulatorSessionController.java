package dev.gatehouse.sim;

import net.dv8tion.jda.api.JDA;
import net.dv8tion.jda.api.utils.ConcurrentSessionController;

/** Points JDA's gateway at the simulator; shard count and concurrency still come from its /gateway/bot. */
public final class SimulatorSessionController extends ConcurrentSessionController {
    private final String gateway;

    public SimulatorSessionController(String gateway) {
        this.gateway = gateway;
    }

    @Override
    public String getGateway() {
        return gateway;
    }

    @Override
    public ShardedGateway getShardedGateway(JDA api) {
        ShardedGateway fromRest = super.getShardedGateway(api);
        return new ShardedGateway(gateway, fromRest.getShardTotal(), fromRest.getConcurrency());
    }
}
