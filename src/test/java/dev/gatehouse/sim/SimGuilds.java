package dev.gatehouse.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The simulator's GUILD_CREATEs as whole gateway frames, for tests that read them without a socket. */
public final class SimGuilds {
    private SimGuilds() {
    }

    /** One frame per guild of a world of {@code guilds} guilds, as a session with the largest large_threshold gets them. */
    public static List<byte[]> guildCreateFrames(long seed, int guilds, int maxMembers, int averageMembers) {
        World world = new World(seed, guilds, maxMembers, averageMembers);
        List<byte[]> out = new ArrayList<>();
        int seq = 1;
        for (World.Guild g : world.guilds.values()) {
            byte[] head = ("{\"op\":0,\"s\":" + seq++ + ",\"t\":\"GUILD_CREATE\",\"d\":").getBytes(StandardCharsets.US_ASCII);
            byte[] d = SimJson.guildCreate(g);
            byte[] frame = new byte[head.length + d.length + 1];
            System.arraycopy(head, 0, frame, 0, head.length);
            System.arraycopy(d, 0, frame, head.length, d.length);
            frame[frame.length - 1] = '}';
            out.add(frame);
        }
        return out;
    }
}
