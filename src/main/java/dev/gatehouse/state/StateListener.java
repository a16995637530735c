package dev.gatehouse.state;

import java.util.List;

/**
 * Told by the {@link StateWriter}, on its own thread, right after each committed transaction, what it changed:
 * before the ring lets delivery see those events, so a cache that drops these keys never serves a bot a state
 * older than an event it holds. Must be quick and must not throw.
 */
public interface StateListener {
    /** Listens to nothing. */
    StateListener NONE = changed -> { };

    /** One committed transaction's changes. */
    void committed(List<Changed> changed);

    /**
     * One changed row by its key columns ({@code second} is 0 for single-key tables), or, with {@code sweep}, every
     * row of a table belonging to the guild (or, for {@code guilds}, the shard) {@code first}.
     *
     * @param table the table's name, as in {@code sql/}
     */
    record Changed(String table, long first, long second, boolean sweep) {
    }
}
