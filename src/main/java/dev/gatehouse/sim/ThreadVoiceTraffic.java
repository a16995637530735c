package dev.gatehouse.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * The thread and voice part of the traffic: threads started, renamed and deleted (THREAD_CREATE/UPDATE/DELETE),
 * and members joining, muting in and leaving voice channels (VOICE_STATE_UPDATE). Each call changes the
 * {@link World} as the event does. World thread only.
 */
final class ThreadVoiceTraffic {
    private final World world;

    ThreadVoiceTraffic(World world) {
        this.world = world;
    }

    /** The next thread or voice event in the guild. */
    Traffic.Event next(World.Guild g) {
        int roll = world.random.nextInt(6);
        return switch (roll) {
            case 0 -> threadCreate(g);
            case 1 -> g.threads.isEmpty() ? threadCreate(g) : threadUpdate(g);
            case 2 -> g.threads.isEmpty() ? threadCreate(g) : threadDelete(g, randomThread(g));
            case 3, 4 -> voiceJoinOrMute(g);
            default -> voiceLeave(g);
        };
    }

    private World.Channel randomThread(World.Guild g) {
        List<World.Channel> ts = new ArrayList<>(g.threads.values());
        return ts.get(world.random.nextInt(ts.size()));
    }

    private Traffic.Event threadCreate(World.Guild g) {
        List<World.Member> ms = new ArrayList<>(g.members.values());
        World.Channel t = world.addThread(g, ms.get(world.random.nextInt(ms.size())).user.id);
        return new Traffic.Event("THREAD_CREATE", g.id, SimJson.object(j -> {
            SimJson.threadFields(j, t);
            j.writeBooleanField("newly_created", true);
        }));
    }

    private Traffic.Event threadUpdate(World.Guild g) {
        World.Channel t = randomThread(g);
        t.messageCount++;
        t.name = "thread " + Long.toString(t.id % 10_000, 36) + " v" + world.random.nextInt(100);
        return new Traffic.Event("THREAD_UPDATE", g.id, SimJson.object(j -> SimJson.threadFields(j, t)));
    }

    /** Deletes a thread; also used to empty a channel of its threads before the channel goes. */
    Traffic.Event threadDelete(World.Guild g, World.Channel t) {
        g.threads.remove(t.id);
        return new Traffic.Event("THREAD_DELETE", g.id, SimJson.object(j -> {
            j.writeStringField("id", Long.toString(t.id));
            j.writeStringField("guild_id", Long.toString(g.id));
            j.writeStringField("parent_id", Long.toString(t.parentId));
            j.writeNumberField("type", t.type);
        }));
    }

    private Traffic.Event voiceJoinOrMute(World.Guild g) {
        List<Long> voice = g.voiceChannels();
        List<World.Member> ms = new ArrayList<>(g.members.values());
        World.Member m = ms.get(world.random.nextInt(ms.size()));
        if (voice.isEmpty() || m.user.id == world.self.id) {
            return threadCreate(g);
        }
        World.VoiceState v = g.voiceStates.get(m.user.id);
        if (v == null) {
            v = new World.VoiceState(m.user.id, voice.get(world.random.nextInt(voice.size())),
                    Long.toHexString(world.random.nextLong()));
            g.voiceStates.put(m.user.id, v);
        } else {
            v.selfMute = !v.selfMute;
        }
        return voiceEvent(g, v, m);
    }

    private Traffic.Event voiceLeave(World.Guild g) {
        for (World.VoiceState v : g.voiceStates.values()) {
            if (v.userId != world.self.id) {
                g.voiceStates.remove(v.userId);
                v.channelId = 0;
                return voiceEvent(g, v, g.members.get(v.userId));
            }
        }
        return voiceJoinOrMute(g);
    }

    private static Traffic.Event voiceEvent(World.Guild g, World.VoiceState v, World.Member m) {
        return new Traffic.Event("VOICE_STATE_UPDATE", g.id, SimJson.object(j -> SimJson.voiceStateFields(j, v, g.id, m)));
    }
}
