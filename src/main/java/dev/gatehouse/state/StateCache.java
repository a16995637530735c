package dev.gatehouse.state;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import com.github.benmanes.caffeine.cache.Expiry;

/**
 * The read cache in front of {@link StateReads} for single entities (guild, channel, user, member, message).
 * Caffeine's {@link AsyncLoadingCache} gives single flight: concurrent reads of a missing key share one load,
 * every waiter gets its answer, and a failed load reaches every waiter and is not kept. Bounded by size.
 *
 * <p>Consistency: as the {@link StateListener} of the writer it drops, right after each commit and before the
 * events reach delivery, every entry the commit changed, including members and messages that embed a changed
 * user. A load in flight when its key is dropped is not kept either (Caffeine only stores a future still mapped).
 */
public final class StateCache implements StateListener {
    /** What a cache entry is: a kind of read and its ids ({@code b} is 0 for single ids). */
    enum Kind { GUILD, CHANNEL, USER, MEMBER, MESSAGE }

    record Key(Kind kind, long a, long b) {
    }

    /** A loaded answer; {@code keep} false for one that raced with a user change: its waiters get it, nobody else. */
    private record Entry(Optional<String> json, long userId, boolean keep) {
    }

    private static final java.time.Duration FOREVER = java.time.Duration.ofDays(36_500);

    private final StateReads reads;
    private final AsyncLoadingCache<Key, Entry> cache;
    /** Members and messages by the user they embed, so a user's change drops them too. */
    private final ConcurrentHashMap<Long, Set<Key>> byUser = new ConcurrentHashMap<>();
    /** Bumped before a changed user's dependants are dropped: a message load that raced with it reads again. */
    private final AtomicLong usersChanged = new AtomicLong();
    private final java.util.concurrent.atomic.LongAdder requests = new java.util.concurrent.atomic.LongAdder();

    /**
     * @param maxEntries bound of the cache
     * @param loads      where database loads run (bounds how many run at once)
     */
    public StateCache(StateReads reads, long maxEntries, Executor loads) {
        this.reads = reads;
        AsyncCacheLoader<Key, Entry> loader = (key, executor) -> {
            if (key.kind == Kind.MEMBER) {
                depend(key.b, key); // before the read: a user change committed from now on drops this entry
            }
            return CompletableFuture.supplyAsync(() -> load(key), executor);
        };
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .expireAfter(Expiry.<Key, Entry>creating((k, v) -> v.keep() ? FOREVER : java.time.Duration.ZERO))
                .executor(loads)
                .evictionListener((Key k, Entry v, RemovalCause cause) -> {
                    if (k != null && v != null && v.userId() != 0) {
                        forget(v.userId(), k);
                    }
                })
                .buildAsync(loader);
    }

    /** The guild's JSON answer, empty when it is not stored. */
    public CompletableFuture<Optional<String>> guild(long id) {
        return get(new Key(Kind.GUILD, id, 0));
    }

    /** The channel's (or thread's) JSON answer. */
    public CompletableFuture<Optional<String>> channel(long id) {
        return get(new Key(Kind.CHANNEL, id, 0));
    }

    /** The user's JSON answer. */
    public CompletableFuture<Optional<String>> user(long id) {
        return get(new Key(Kind.USER, id, 0));
    }

    /** The member's JSON answer, its user inside as Discord sends it. */
    public CompletableFuture<Optional<String>> member(long guildId, long userId) {
        return get(new Key(Kind.MEMBER, guildId, userId));
    }

    /** The message's JSON answer with its author and every revision. */
    public CompletableFuture<Optional<String>> message(long id) {
        return get(new Key(Kind.MESSAGE, id, 0));
    }

    /** Reads asked of the cache so far, hits and misses. */
    public long requests() {
        return requests.sum();
    }

    /** Entries held now (approximate). */
    public long size() {
        return cache.synchronous().estimatedSize();
    }

    private CompletableFuture<Optional<String>> get(Key key) {
        requests.increment();
        CompletableFuture<Entry> load = cache.get(key);
        return load.handle((entry, error) -> {
            if (error != null) {
                // Caffeine drops a failed load in a callback of its own, which may run after the waiters' (a
                // CompletableFuture runs its dependants newest first): drop it here, before this waiter hears of
                // the failure, so the waiter's next read loads again instead of getting the same failure
                cache.asMap().remove(key, load);
                throw error instanceof CompletionException c ? c : new CompletionException(error);
            }
            return entry.json();
        });
    }

    private Entry load(Key key) {
        try {
            for (int attempt = 1; ; attempt++) {
                long usersBefore = usersChanged.get();
                StateReads.Row row = switch (key.kind) {
                    case GUILD -> reads.guild(key.a);
                    case CHANNEL -> reads.channel(key.a);
                    case USER -> reads.user(key.a);
                    case MEMBER -> reads.member(key.a, key.b);
                    case MESSAGE -> reads.message(key.a);
                };
                if (key.kind == Kind.MEMBER) {
                    return new Entry(row.json(), key.b, true); // registered before the read, in the loader
                }
                if (key.kind != Kind.MESSAGE || row.userId() == 0) {
                    return new Entry(row.json(), 0, true);
                }
                // a message's author is learnt from the read: register it, then make sure no user changed meanwhile
                depend(row.userId(), key);
                if (usersChanged.get() == usersBefore) {
                    return new Entry(row.json(), row.userId(), true);
                }
                if (attempt == 3) {
                    return new Entry(row.json(), row.userId(), false); // answer the waiters, keep nothing
                }
            }
        } catch (SQLException e) {
            throw new CompletionException(new StateReadException(key.kind.name().toLowerCase(java.util.Locale.ROOT), e));
        }
    }

    private void depend(long user, Key key) {
        byUser.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(key);
    }

    /**
     * Drops an entry that embeds a user, and its place in {@link #byUser} (else the index would keep every key ever
     * dropped). A load that registers again meanwhile leaves at worst a key whose next user change drops nothing.
     */
    private void drop(Key key) {
        long user = key.kind == Kind.MEMBER ? key.b : 0;
        CompletableFuture<Entry> held = cache.getIfPresent(key);
        if (user == 0 && held != null && held.isDone() && !held.isCompletedExceptionally()) {
            user = held.join().userId();
        }
        if (user != 0) {
            forget(user, key);
        }
        cache.synchronous().invalidate(key);
    }

    private void forget(long user, Key key) {
        byUser.computeIfPresent(user, (u, keys) -> {
            keys.remove(key);
            return keys.isEmpty() ? null : keys;
        });
    }

    /** Drops every entry the committed transaction changed (the writer's thread, right after its commit). */
    @Override
    public void committed(List<Changed> changed) {
        var map = cache.synchronous();
        boolean guildsSwept = false;
        boolean channelsSwept = false;
        Set<Long> membersSwept = new java.util.HashSet<>();
        for (Changed c : changed) {
            switch (c.table()) {
                case "guilds" -> {
                    if (c.sweep()) {
                        guildsSwept = true;
                    } else {
                        map.invalidate(new Key(Kind.GUILD, c.first(), 0));
                    }
                }
                case "channels" -> {
                    if (c.sweep()) {
                        channelsSwept = true; // a channel key does not know its guild: all channels go
                    } else {
                        map.invalidate(new Key(Kind.CHANNEL, c.first(), 0));
                    }
                }
                case "members" -> {
                    if (c.sweep()) {
                        membersSwept.add(c.first());
                    } else {
                        drop(new Key(Kind.MEMBER, c.first(), c.second()));
                    }
                }
                case "users" -> {
                    map.invalidate(new Key(Kind.USER, c.first(), 0));
                    usersChanged.incrementAndGet();
                    Set<Key> dependants = byUser.remove(c.first());
                    if (dependants != null) {
                        map.invalidateAll(dependants);
                    }
                }
                case "messages" -> drop(new Key(Kind.MESSAGE, c.first(), 0));
                default -> {
                    // tables whose reads are not cached (roles, presences, ...)
                }
            }
        }
        if (guildsSwept || channelsSwept || !membersSwept.isEmpty()) {
            // sweeps come with full snapshots (GUILD_CREATE, READY): one pass over the keys per commit, not per guild
            for (Key k : List.copyOf(map.asMap().keySet())) {
                if ((guildsSwept && k.kind == Kind.GUILD) || (channelsSwept && k.kind == Kind.CHANNEL)) {
                    map.invalidate(k);
                } else if (k.kind == Kind.MEMBER && membersSwept.contains(k.a)) {
                    drop(k);
                }
            }
        }
    }

    /** A read the database could not answer; names the kind of read. */
    public static final class StateReadException extends RuntimeException {
        StateReadException(String kind, SQLException cause) {
            super("state: reading the " + kind + " failed: " + cause.getMessage(), cause);
        }
    }
}
