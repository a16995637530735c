package dev.gatehouse.state;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * One state table as the writer sees it: key columns, value columns and the soft-delete column, with the
 * bulk upsert built from them once. Rows travel as text arrays through {@code unnest} and are cast in SQL,
 * so one statement writes a whole batch of a table.
 *
 * <p>A row without {@code data} is partial (a tombstone, or READY's "unavailable"): it updates only the
 * {@link Mode#KEEP_NULL} columns it carries and the soft-delete column, never the stored object.
 */
final class Table {

    /** When an upsert overwrites a stored column. */
    enum Mode {
        /** When the new row is a full object. */
        FULL,
        /** When the new value is not null: fields Discord omits from some events, and what partial rows carry. */
        KEEP_NULL,
        /** {@code data} only: the new object's fields are merged into the stored one (jsonb {@code ||}). */
        MERGE,
        /** Set once: the first value stays (when a guild was first loaded). */
        FIRST
    }

    record Column(String name, String type, Mode mode) {
    }

    final String name;
    final int keyCount;
    final List<Column> columns;
    final String goneColumn;
    /** The bulk upsert of rows passed as one text array per column. */
    final String upsert;
    /**
     * The staging table of a bulk load: this table's columns, typed as {@link CopyBinary#stagingType} says, and {@code gone}. Created once per connection and
     * emptied at each commit (PostgreSQL skips that in transactions that touch no temporary table): creating and
     * dropping it in every flush cost about 4 ms per table.
     */
    final String stage;
    /** The bulk upsert of every row of the staging table. */
    final String merge;
    /** The COPY that fills the staging table from binary rows ({@link CopyBinary}). */
    final String copy;
    /** The COPY of new rows straight into this table (its defaults fill {@code updated_at}, the soft-delete column stays null). */
    final String copyDirect;
    /**
     * Which of the given first-key values (a {@code bigint[]}) already have a row here: rows of the others are new
     * (no row of theirs can exist), so they can go in by a plain COPY instead of the staging table and the merge. A
     * primary key is looked up with {@code = ANY} (one index scan for all the keys); a first key of two (a guild of
     * members) with one index probe per key ({@code LATERAL ... LIMIT 1}), since a guild has many rows.
     */
    final String present;

    private Table(String name, String goneColumn, int keyCount, Column... columns) {
        this.name = name;
        this.keyCount = keyCount;
        this.columns = List.of(columns);
        this.goneColumn = goneColumn;
        StringJoiner params = new StringJoiner(", ");
        StringJoiner aliases = new StringJoiner(", ");
        StringJoiner typed = new StringJoiner(", ");
        for (Column c : this.columns) {
            params.add("?::text[]");
            aliases.add(c.name);
            typed.add(c.name + " " + CopyBinary.stagingType(c.type));
        }
        if (goneColumn != null) {
            params.add("?::boolean[]");
            aliases.add("gone");
            typed.add("gone boolean");
        }
        // a table without a soft-delete column is never swept, so nothing reads its updated_at to tell rows of this
        // transaction from older ones (the sweeps do, for the tables they mark gone): unchanged rows can stay as stored
        this.upsert = buildUpsert("unnest(" + params + ") AS u(" + aliases + ")", goneColumn == null);
        this.stage = "CREATE TEMP TABLE IF NOT EXISTS stage_" + name + " (" + typed + ") ON COMMIT DELETE ROWS";
        this.merge = buildUpsert("stage_" + name + " AS u", false);
        this.copy = "COPY stage_" + name + " (" + aliases + ") FROM STDIN (FORMAT binary)";
        StringJoiner own = new StringJoiner(", ");
        this.columns.forEach(c -> own.add(c.name));
        this.copyDirect = "COPY " + name + " (" + own + ") FROM STDIN (FORMAT binary)";
        String first = this.columns.get(0).name;
        this.present = keyCount == 1
                ? "SELECT " + first + " FROM " + name + " WHERE " + first + " = ANY(?::bigint[])"
                : "SELECT k FROM unnest(?::bigint[]) AS k, LATERAL (SELECT 1 FROM " + name + " x WHERE x." + first
                        + " = k LIMIT 1) AS e";
    }

    static Column col(String name, String type) {
        return new Column(name, type, Mode.FULL);
    }

    static Column keepNull(String name, String type) {
        return new Column(name, type, Mode.KEEP_NULL);
    }

    /**
     * GUILD_UPDATE carries the guild's settings but not what only GUILD_CREATE has (joined_at, large, member_count,
     * ...): its {@code data} is merged into the stored object, never replacing it.
     */
    static final Table GUILDS = new Table("guilds", "left_at", 1, col("id", "bigint"), keepNull("shard_id", "integer"),
            col("name", "text"), col("owner_id", "bigint"), keepNull("member_count", "integer"),
            keepNull("unavailable", "boolean"), new Column("loaded_at", "timestamptz", Mode.FIRST), new Column("data", "jsonb", Mode.MERGE));
    static final Table CHANNELS = new Table("channels", "deleted_at", 1, col("id", "bigint"), keepNull("guild_id", "bigint"),
            col("parent_id", "bigint"), col("type", "integer"), col("name", "text"), col("position", "integer"),
            col("data", "jsonb"));
    static final Table ROLES = new Table("roles", "deleted_at", 1, col("id", "bigint"), keepNull("guild_id", "bigint"),
            col("name", "text"), col("position", "integer"), col("permissions", "text"), col("color", "integer"),
            col("data", "jsonb"));
    static final Table USERS = new Table("users", null, 1, col("id", "bigint"), col("username", "text"),
            col("global_name", "text"), col("bot", "boolean"), col("avatar", "text"), col("data", "jsonb"));
    static final Table MEMBERS = new Table("members", "left_at", 2, col("guild_id", "bigint"), col("user_id", "bigint"),
            col("nick", "text"), keepNull("joined_at", "timestamptz"), col("roles", "bigint[]"), keepNull("learned_by", "text"),
            col("data", "jsonb"));
    /** Each bot's membership of a guild (several bots can share one database). */
    static final Table GUILD_BOTS = new Table("guild_bots", "left_at", 2, col("application_id", "bigint"),
            col("guild_id", "bigint"), keepNull("shard_id", "integer"), keepNull("unavailable", "boolean"));
    /** Where a member row says how it was learned (the change log's "how"). */
    static final int MEMBER_LEARNED_BY = 5;
    static final Table PRESENCES = new Table("presences", "deleted_at", 2, col("guild_id", "bigint"), col("user_id", "bigint"),
            col("status", "text"), col("data", "jsonb"));
    static final Table VOICE_STATES = new Table("voice_states", "left_at", 2, col("guild_id", "bigint"),
            col("user_id", "bigint"), col("channel_id", "bigint"), col("session_id", "text"), col("self_mute", "boolean"),
            col("self_deaf", "boolean"), col("data", "jsonb"));
    static final Table EMOJIS = new Table("emojis", "deleted_at", 1, col("id", "bigint"), keepNull("guild_id", "bigint"),
            col("name", "text"), col("animated", "boolean"), col("data", "jsonb"));
    static final Table STICKERS = new Table("stickers", "deleted_at", 1, col("id", "bigint"), keepNull("guild_id", "bigint"),
            col("name", "text"), col("format_type", "integer"), col("data", "jsonb"));
    static final Table THREAD_MEMBERS = new Table("thread_members", "left_at", 2, col("thread_id", "bigint"),
            col("user_id", "bigint"), keepNull("guild_id", "bigint"), keepNull("join_timestamp", "timestamptz"),
            col("data", "jsonb"));
    static final Table STAGE_INSTANCES = new Table("stage_instances", "deleted_at", 1, col("id", "bigint"),
            keepNull("guild_id", "bigint"), col("channel_id", "bigint"), col("topic", "text"), col("data", "jsonb"));
    static final Table SCHEDULED_EVENTS = new Table("scheduled_events", "deleted_at", 1, col("id", "bigint"),
            keepNull("guild_id", "bigint"), col("channel_id", "bigint"), col("name", "text"), col("status", "integer"),
            col("start_time", "timestamptz"), col("data", "jsonb"));
    static final Table MESSAGES = new Table("messages", "deleted_at", 1, col("id", "bigint"),
            keepNull("channel_id", "bigint"), keepNull("guild_id", "bigint"), col("author_id", "bigint"),
            col("content", "text"), keepNull("created_at", "timestamptz"), col("edited_at", "timestamptz"),
            col("data", "jsonb"));

    /** In the order a flush writes them. */
    static final List<Table> ALL = List.of(USERS, GUILDS, GUILD_BOTS, CHANNELS, ROLES, MEMBERS, PRESENCES, VOICE_STATES, EMOJIS,
            STICKERS, THREAD_MEMBERS, STAGE_INSTANCES, SCHEDULED_EVENTS, MESSAGES);

    /**
     * The upsert from {@code from}; with {@code skipUnchanged} a conflicting row whose columns would all stay the same
     * is not rewritten (no new row version, no WAL, no index entries; its {@code updated_at} stays): the steady
     * state's users table, whose every MESSAGE_CREATE carries its author again, mostly unchanged.
     */
    private String buildUpsert(String from, boolean skipUnchanged) {
        StringJoiner insertCols = new StringJoiner(", ");
        StringJoiner selectCols = new StringJoiner(", ");
        List<String> keys = new ArrayList<>();
        StringJoiner updates = new StringJoiner(",\n    ");
        StringJoiner stored = new StringJoiner(", ");
        StringJoiner next = new StringJoiner(", ");
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            insertCols.add(c.name);
            selectCols.add("u." + c.name + "::" + c.type);
            if (i < keyCount) {
                keys.add(c.name);
                continue;
            }
            String set = switch (c.mode) {
                case FULL -> "data".equals(c.name)
                        ? "COALESCE(excluded.data, " + name + ".data)"
                        : "CASE WHEN excluded.data IS NULL THEN " + name + "." + c.name + " ELSE excluded." + c.name + " END";
                case KEEP_NULL -> "COALESCE(excluded." + c.name + ", " + name + "." + c.name + ")";
                case MERGE -> "CASE WHEN excluded.data IS NULL THEN " + name + ".data WHEN " + name
                        + ".data IS NULL THEN excluded.data ELSE " + name + ".data || excluded.data END";
                case FIRST -> "COALESCE(" + name + "." + c.name + ", excluded." + c.name + ")";
            };
            updates.add(c.name + " = " + set);
            stored.add(name + "." + c.name);
            next.add(set);
        }
        insertCols.add("updated_at");
        selectCols.add("now()");
        updates.add("updated_at = now()");
        if (goneColumn != null) {
            insertCols.add(goneColumn);
            selectCols.add("CASE WHEN u.gone THEN now() END");
            updates.add(goneColumn + " = CASE WHEN excluded." + goneColumn + " IS NULL THEN NULL ELSE COALESCE("
                    + name + "." + goneColumn + ", excluded." + goneColumn + ") END");
        }
        return "INSERT INTO " + name + " (" + insertCols + ")\nSELECT " + selectCols + "\nFROM " + from
                + "\nON CONFLICT (" + String.join(", ", keys) + ") DO UPDATE SET\n    " + updates
                + (skipUnchanged ? "\nWHERE (" + stored + ") IS DISTINCT FROM (" + next + ")" : "");
    }

    /** Whether this table's {@code data} is merged into the stored object rather than replacing it. */
    boolean mergesData() {
        return columns.get(columns.size() - 1).mode() == Mode.MERGE;
    }

    /** Number of value slots of a row (keys and columns, data included). */
    int width() {
        return columns.size();
    }

    @Override
    public String toString() {
        return name;
    }
}
