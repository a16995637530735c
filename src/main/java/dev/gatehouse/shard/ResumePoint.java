package dev.gatehouse.shard;

import dev.gatehouse.pipeline.Session;
import java.util.Set;

/**
 * Where a shard picks up a session a previous Gatehouse process left: the session and the sequence number
 * to resume from (Discord replays every dispatch after it), and the shard's guilds as the state holds them
 * (a resume sends no GUILD_CREATE, so this is how the shard knows them).
 *
 * @param guilds            the shard's guilds in the state (not left)
 * @param unavailableGuilds those of them in an outage
 */
public record ResumePoint(Session session, long seq, Set<Long> guilds, Set<Long> unavailableGuilds) {
    public ResumePoint {
        guilds = Set.copyOf(guilds);
        unavailableGuilds = Set.copyOf(unavailableGuilds);
    }

    /** A resume point without guild knowledge. */
    public ResumePoint(Session session, long seq) {
        this(session, seq, Set.of(), Set.of());
    }
}
