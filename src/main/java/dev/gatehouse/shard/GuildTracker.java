package dev.gatehouse.shard;

import dev.gatehouse.pipeline.GuildKind;
import java.util.Collection;

/**
 * The guilds of one shard as its dispatches tell them: which it has, which READY listed and have not arrived
 * yet (loading), and which are in an outage. It names what each GUILD_CREATE/GUILD_DELETE means
 * ({@link GuildKind}) and says once per session when the shard has all its guilds. The sets hold primitive ids
 * sized by use ({@link LongSet}): an idle shard of 2500 guilds holds about 32 KiB here, and the loading set
 * gives its table back as the load completes. Cluster thread only.
 */
final class GuildTracker {
    private final LongSet guilds = new LongSet();
    private final LongSet loading = new LongSet();
    private final LongSet outage = new LongSet();
    private boolean loadedSignalled;

    /** A READY: these guilds are the shard's, all loading. */
    void ready(long[] listed) {
        guilds.setAll(listed);
        loading.setAll(listed);
        outage.clear();
        loadedSignalled = false;
    }

    /**
     * A resumed session of a previous process: the guilds the state holds for this shard, those marked
     * unavailable in an outage. Nothing is loading (a resume sends no guilds).
     */
    void known(Collection<Long> all, Collection<Long> unavailable) {
        guilds.setAll(all.stream().mapToLong(Long::longValue).toArray());
        loading.clear();
        outage.setAll(unavailable.stream().mapToLong(Long::longValue).toArray());
        loadedSignalled = false;
    }

    /** A GUILD_CREATE: part of the load, back from an outage, or a guild the bot just joined. */
    GuildKind created(long id) {
        if (loading.remove(id)) {
            return GuildKind.LOAD;
        }
        if (outage.remove(id)) {
            return GuildKind.AVAILABLE;
        }
        return guilds.add(id) ? GuildKind.JOIN : GuildKind.AVAILABLE;
    }

    /** A GUILD_DELETE: an outage (the guild stays the shard's) or a leave. */
    GuildKind deleted(long id, boolean unavailable) {
        if (unavailable) {
            guilds.add(id);
            if (!loading.contains(id)) {
                outage.add(id);
            }
            return GuildKind.UNAVAILABLE;
        }
        guilds.remove(id);
        loading.remove(id);
        outage.remove(id);
        return GuildKind.LEAVE;
    }

    /** True once per READY (or resume of a previous process), when nothing listed is loading any more. */
    boolean justLoaded() {
        if (loadedSignalled || !loading.isEmpty()) {
            return false;
        }
        loadedSignalled = true;
        return true;
    }

    /** Guilds of the shard. */
    int count() {
        return guilds.size();
    }

    /** Guilds of the shard that are available (neither loading nor in an outage). */
    int loaded() {
        return guilds.size() - loading.size() - outage.size();
    }

    /** True when no guild READY listed is still loading. */
    boolean allLoaded() {
        return loading.isEmpty();
    }
}
