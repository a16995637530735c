package dev.gatehouse.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Guilds coming and going: the bot joins a guild (GUILD_CREATE), leaves one (GUILD_DELETE without
 * {@code unavailable}), a guild goes through an outage (GUILD_DELETE {@code unavailable: true}) and comes back
 * (GUILD_CREATE). On demand, and over time at the rates of a {@link GuildChurn}. World thread only.
 */
final class GuildLifecycle {
    private final World world;
    private final GuildChurn churn;
    private final Map<Long, Long> returnsAtNanos = new HashMap<>();
    private double owedJoins;
    private double owedLeaves;
    private double owedOutages;
    private long lastNanos;

    GuildLifecycle(World world, GuildChurn churn) {
        this.world = world;
        this.churn = churn;
    }

    /**
     * The joins, leaves, outages and returns due since the last call, each already applied to the world. At most
     * one second of backlog is made up, so a pause in the traffic does not end in a burst.
     */
    List<Traffic.Event> due(long nowNanos) {
        List<Traffic.Event> out = new ArrayList<>();
        for (Iterator<Map.Entry<Long, Long>> it = returnsAtNanos.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Long> e = it.next();
            World.Guild g = world.guilds.get(e.getKey());
            if (g == null) {
                it.remove();
            } else if (nowNanos - e.getValue() >= 0) {
                it.remove();
                out.add(restore(g));
            }
        }
        if (churn.isNone()) {
            return out;
        }
        double minutes = lastNanos == 0 ? 0 : Math.min(1e9, nowNanos - lastNanos) / 60e9;
        lastNanos = nowNanos;
        owedJoins += churn.joinsPerMinute() * minutes;
        owedLeaves += churn.leavesPerMinute() * minutes;
        owedOutages += churn.outagesPerMinute() * minutes;
        for (; owedJoins >= 1; owedJoins--) {
            out.add(join());
        }
        for (; owedLeaves >= 1; owedLeaves--) {
            World.Guild g = world.randomGuild();
            if (world.guildList.size() > 1 && !g.unavailable) {
                out.add(leave(g));
            }
        }
        for (; owedOutages >= 1; owedOutages--) {
            World.Guild g = world.randomGuild();
            if (!g.unavailable) {
                out.add(outage(g, nowNanos + churn.outageMs() * 1_000_000L));
            }
        }
        return out;
    }

    /** The bot is added to a new guild. */
    Traffic.Event join() {
        World.Guild g = world.addGuild();
        return new Traffic.Event("GUILD_CREATE", g.id, SimJson.guildCreate(g));
    }

    /** The bot leaves (or is removed from) the guild. */
    Traffic.Event leave(World.Guild g) {
        world.removeGuild(g);
        returnsAtNanos.remove(g.id);
        return new Traffic.Event("GUILD_DELETE", g.id, SimJson.object(j -> j.writeStringField("id", Long.toString(g.id))));
    }

    /** The guild goes unavailable; with {@code returnAtNanos} > 0 it comes back by itself then. */
    Traffic.Event outage(World.Guild g, long returnAtNanos) {
        g.unavailable = true;
        if (returnAtNanos != 0) {
            returnsAtNanos.put(g.id, returnAtNanos);
        }
        return new Traffic.Event("GUILD_DELETE", g.id, SimJson.object(j -> {
            j.writeStringField("id", Long.toString(g.id));
            j.writeBooleanField("unavailable", true);
        }));
    }

    /** The guild is back: its whole state arrives again as GUILD_CREATE. */
    Traffic.Event restore(World.Guild g) {
        g.unavailable = false;
        returnsAtNanos.remove(g.id);
        return new Traffic.Event("GUILD_CREATE", g.id, SimJson.guildCreate(g));
    }
}
