package dev.gatehouse.api;

import dev.gatehouse.state.StateCache;
import dev.gatehouse.state.StateReads;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The GET routes of the stored state. Single entities come through the {@link StateCache} (single flight, dropped
 * by the writer after each commit); lists and pages read the database on the read executor. Unknown ids are 404.
 */
final class StateRoutes {
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;

    /** A read of a list that may fail with SQLException. */
    private interface ListRead {
        String read() throws java.sql.SQLException;
    }

    private final StateCache cache;
    private final StateReads reads;
    private final Executor executor;

    StateRoutes(StateCache cache, StateReads reads, Executor executor) {
        this.cache = cache;
        this.reads = reads;
        this.executor = executor;
    }

    void addTo(Routes routes) {
        routes.add("GET", "/guilds/{guild_id}", r -> found(cache.guild(r.snowflake("guild_id")), "guild", r.segments().get("guild_id")))
                .add("GET", "/guilds/{guild_id}/channels", r -> inGuild(r, () -> reads.channels(r.snowflake("guild_id"), r.flag("deleted"))))
                .add("GET", "/guilds/{guild_id}/roles", r -> inGuild(r, () -> reads.roles(r.snowflake("guild_id"), r.flag("deleted"))))
                .add("GET", "/guilds/{guild_id}/members", r -> {
                    long after = r.cursorParam("after");
                    int limit = (int) r.number("limit", DEFAULT_PAGE, 1, MAX_PAGE);
                    boolean left = r.flag("left");
                    return inGuild(r, () -> reads.members(r.snowflake("guild_id"), after, limit, left));
                })
                .add("GET", "/guilds/{guild_id}/members/{user_id}", r -> found(
                        cache.member(r.snowflake("guild_id"), r.snowflake("user_id")), "member", r.segments().get("user_id")))
                .add("GET", "/guilds/{guild_id}/presences", r -> {
                    long after = r.cursorParam("after");
                    int limit = (int) r.number("limit", DEFAULT_PAGE, 1, MAX_PAGE);
                    return inGuild(r, () -> reads.presences(r.snowflake("guild_id"), after, limit));
                })
                .add("GET", "/guilds/{guild_id}/voice-states", r -> {
                    long after = r.cursorParam("after");
                    int limit = (int) r.number("limit", DEFAULT_PAGE, 1, MAX_PAGE);
                    return inGuild(r, () -> reads.voiceStates(r.snowflake("guild_id"), after, limit).orElseThrow(
                            () -> new ApiError(501, "", "this database schema stores no voice states yet")));
                })
                .add("GET", "/users/{user_id}", r -> found(cache.user(r.snowflake("user_id")), "user", r.segments().get("user_id")))
                .add("GET", "/channels/{channel_id}", r -> found(cache.channel(r.snowflake("channel_id")), "channel",
                        r.segments().get("channel_id")))
                .add("GET", "/messages/{message_id}", r -> found(cache.message(r.snowflake("message_id")), "message",
                        r.segments().get("message_id")));
    }

    private static CompletableFuture<Answer> found(CompletableFuture<Optional<String>> read, String what, String id) {
        return read.thenApply(json -> json.map(j -> Answer.json(200, j)).orElseThrow(() -> notFound(what, id)));
    }

    private static ApiError notFound(String what, String id) {
        return new ApiError(404, what, "no " + what + " " + id + " in the state");
    }

    /** A list of a guild: 404 when the guild is not stored, else the list's JSON. */
    private CompletableFuture<Answer> inGuild(ApiRequest r, ListRead list) {
        long guild = r.snowflake("guild_id");
        return cache.guild(guild).thenCompose(g -> {
            if (g.isEmpty()) {
                throw notFound("guild", Long.toString(guild));
            }
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return Answer.json(200, list.read());
                } catch (java.sql.SQLException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, executor);
        });
    }
}
