package dev.gatehouse.state;

import dev.gatehouse.pipeline.Dispatch;
import java.io.IOException;

/**
 * Turns the dispatches the state keeps into {@link Change}s. Only the payloads of these types are parsed;
 * every other dispatch costs a string switch.
 */
final class ChangeReader {
    private static final Entity.Shape FLAT = Entity.Shape.FLAT;
    private static final Entity.Shape USER_CHILD = Entity.Shape.of("user", FLAT);
    private static final Entity.Shape THREAD = Entity.Shape.of("member", FLAT);
    private static final Entity.Shape GUILD = Entity.Shape.of("channels", FLAT, "threads", THREAD, "roles", FLAT,
            "members", USER_CHILD, "presences", USER_CHILD, "voice_states", FLAT, "emojis", FLAT, "stickers", FLAT,
            "stage_instances", FLAT, "guild_scheduled_events", FLAT);
    private static final Entity.Shape GUILD_UPDATE = Entity.Shape.of("roles", FLAT, "emojis", FLAT, "stickers", FLAT);
    private static final Entity.Shape ROLE_EVENT = Entity.Shape.of("role", FLAT);
    private static final Entity.Shape MESSAGE = Entity.Shape.of("author", FLAT);
    private static final Entity.Shape VOICE_STATE = Entity.Shape.of("member", USER_CHILD);
    private static final Entity.Shape MEMBERS_CHUNK = Entity.Shape.of("members", USER_CHILD, "presences", USER_CHILD);
    private static final Entity.Shape THREAD_LIST_SYNC = Entity.Shape.of("threads", THREAD, "members", FLAT);
    private static final Entity.Shape THREAD_MEMBERS_UPDATE = Entity.Shape.of("added_members",
            Entity.Shape.of("member", USER_CHILD, "presence", USER_CHILD));

    /** What a guild's GUILD_CREATE sweeps besides members: every child list it carries whole. */
    private static final java.util.List<Sweep> GUILD_CREATE_SWEEPS = java.util.List.of(Sweep.CHANNELS_OF_GUILD,
            Sweep.ROLES_OF_GUILD, Sweep.PRESENCES_OF_GUILD, Sweep.VOICE_STATES_OF_GUILD, Sweep.EMOJIS_OF_GUILD,
            Sweep.STICKERS_OF_GUILD, Sweep.STAGE_INSTANCES_OF_GUILD, Sweep.SCHEDULED_EVENTS_OF_GUILD);

    private ChangeReader() {
    }

    /** True for the dispatch types that change stored state (README lists them, and those that do not). */
    static boolean stores(String type) {
        return switch (type) {
            case "READY", "GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE", "CHANNEL_CREATE", "CHANNEL_UPDATE",
                 "CHANNEL_DELETE", "THREAD_CREATE", "THREAD_UPDATE", "THREAD_DELETE", "THREAD_LIST_SYNC",
                 "THREAD_MEMBER_UPDATE", "THREAD_MEMBERS_UPDATE", "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE",
                 "GUILD_ROLE_DELETE", "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE",
                 "GUILD_MEMBERS_CHUNK", "PRESENCE_UPDATE", "USER_UPDATE", "VOICE_STATE_UPDATE", "GUILD_EMOJIS_UPDATE",
                 "GUILD_STICKERS_UPDATE", "STAGE_INSTANCE_CREATE", "STAGE_INSTANCE_UPDATE", "STAGE_INSTANCE_DELETE",
                 "GUILD_SCHEDULED_EVENT_CREATE", "GUILD_SCHEDULED_EVENT_UPDATE", "GUILD_SCHEDULED_EVENT_DELETE",
                 "MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK" -> true;
            default -> false;
        };
    }

    /**
     * Reads the change of one dispatch.
     *
     * @throws IOException when the payload is malformed or lacks a field the state needs (message names it)
     */
    static Change read(Dispatch d, long applicationId) throws IOException {
        String type = d.type();
        Change c = new Change(d.shardId(), d.seq(), d.type(), d.length(), Long.toString(applicationId));
        Entity e = Entity.readData(d.payload(), d.length(), shapeOf(type));
        if (e == null) {
            throw new IOException(type + " without a d object");
        }
        String shard = Integer.toString(d.shardId());
        switch (type) {
            case "READY" -> {
                // every guild of this shard becomes unavailable until its GUILD_CREATE, those not listed have left
                for (Entity g : e.array("guilds")) {
                    unavailable(c, need(g.id("id"), "READY guilds[].id"), shard);
                }
                c.sweeps.add(new Change.SweepOf(Sweep.GUILDS_OF_SHARD, d.shardId()));
            }
            case "GUILD_CREATE" -> guildCreate(c, e, shard);
            case "GUILD_UPDATE" -> {
                String gid = guild(c, e, shard, null);
                for (Entity r : e.array("roles")) {
                    role(c, r, gid);
                }
                for (Entity x : e.array("emojis")) {
                    emoji(c, x, gid);
                }
                for (Entity x : e.array("stickers")) {
                    sticker(c, x, gid);
                }
            }
            case "GUILD_DELETE" -> {
                String gid = need(e.id("id"), "id");
                if ("true".equals(e.text("unavailable"))) {
                    unavailable(c, gid, shard);
                } else {
                    c.gone(Table.GUILDS, gid, shard, null, null, null, "false", null, null);
                    c.gone(Table.GUILD_BOTS, c.application, gid, shard, "false");
                    c.sweep(Sweep.GUILD_LEFT, gid);
                }
            }
            case "CHANNEL_CREATE", "CHANNEL_UPDATE", "THREAD_CREATE", "THREAD_UPDATE" -> {
                String gid = e.id("guild_id");
                channel(c, e, gid);
                Entity self = e.object("member");
                if (self != null && gid != null) {
                    threadMember(c, self, need(e.id("id"), "id"), gid);
                }
            }
            case "CHANNEL_DELETE", "THREAD_DELETE" -> {
                String id = need(e.id("id"), "id");
                c.gone(Table.CHANNELS, id, e.id("guild_id"), null, null, null, null, null);
                if ("THREAD_DELETE".equals(type)) {
                    c.sweep(Sweep.MEMBERS_OF_THREAD, id);
                }
            }
            case "THREAD_LIST_SYNC" -> {
                String gid = need(e.id("guild_id"), "guild_id");
                for (Entity t : e.array("threads")) {
                    channel(c, t, gid);
                }
                for (Entity m : e.array("members")) {
                    threadMember(c, m, need(m.id("id"), "members[].id"), gid);
                }
            }
            case "THREAD_MEMBER_UPDATE" -> threadMember(c, e, need(e.id("id"), "id"), need(e.id("guild_id"), "guild_id"));
            case "THREAD_MEMBERS_UPDATE" -> {
                String gid = need(e.id("guild_id"), "guild_id");
                String tid = need(e.id("id"), "id");
                for (Entity m : e.array("added_members")) {
                    threadMember(c, m, tid, gid);
                    Entity member = m.object("member");
                    if (member != null) {
                        member(c, member, gid, "event");
                    }
                    Entity presence = m.object("presence");
                    if (presence != null) {
                        presence(c, presence, gid);
                    }
                }
                for (String uid : e.list("removed_member_ids")) {
                    c.gone(Table.THREAD_MEMBERS, tid, uid, gid, null, null);
                }
            }
            case "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE" -> {
                Entity r = e.object("role");
                if (r == null) {
                    throw new IOException(type + " without role");
                }
                role(c, r, need(e.id("guild_id"), "guild_id"));
            }
            case "GUILD_ROLE_DELETE" -> {
                String rid = need(e.id("role_id"), "role_id");
                c.gone(Table.ROLES, rid, need(e.id("guild_id"), "guild_id"), null, null, null, null, null);
                c.sweep(Sweep.ROLE_FROM_MEMBERS, rid);
            }
            case "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE" -> member(c, e, need(e.id("guild_id"), "guild_id"),
                    "GUILD_MEMBER_ADD".equals(type) ? "add" : "event");
            case "GUILD_MEMBER_REMOVE" -> {
                Entity u = e.object("user");
                String uid = need(u == null ? null : u.id("id"), "user.id");
                String gid = need(e.id("guild_id"), "guild_id");
                c.gone(Table.MEMBERS, gid, uid, null, null, null, "event", null);
                c.gone(Table.PRESENCES, gid, uid, null, null);
            }
            case "GUILD_MEMBERS_CHUNK" -> {
                String gid = need(e.id("guild_id"), "guild_id");
                for (Entity m : e.array("members")) {
                    member(c, m, gid, "diff");
                }
                for (Entity p : e.array("presences")) {
                    presence(c, p, gid);
                }
            }
            case "PRESENCE_UPDATE" -> presence(c, e, need(e.id("guild_id"), "guild_id"));
            case "USER_UPDATE" -> user(c, e);
            case "VOICE_STATE_UPDATE" -> {
                String gid = e.id("guild_id");
                if (gid == null) {
                    return null; // a call outside any guild: not guild state
                }
                Entity member = e.object("member");
                if (member != null) {
                    member(c, member, gid, "event");
                }
                voiceState(c, e, gid);
            }
            case "GUILD_EMOJIS_UPDATE" -> {
                String gid = need(e.id("guild_id"), "guild_id");
                for (Entity x : e.array("emojis")) {
                    emoji(c, x, gid);
                }
                c.sweep(Sweep.EMOJIS_OF_GUILD, gid);
            }
            case "GUILD_STICKERS_UPDATE" -> {
                String gid = need(e.id("guild_id"), "guild_id");
                for (Entity x : e.array("stickers")) {
                    sticker(c, x, gid);
                }
                c.sweep(Sweep.STICKERS_OF_GUILD, gid);
            }
            case "STAGE_INSTANCE_CREATE", "STAGE_INSTANCE_UPDATE" -> stage(c, e, need(e.id("guild_id"), "guild_id"));
            case "STAGE_INSTANCE_DELETE" -> c.gone(Table.STAGE_INSTANCES, need(e.id("id"), "id"),
                    need(e.id("guild_id"), "guild_id"), null, null, null);
            case "GUILD_SCHEDULED_EVENT_CREATE", "GUILD_SCHEDULED_EVENT_UPDATE" ->
                    scheduledEvent(c, e, need(e.id("guild_id"), "guild_id"));
            case "GUILD_SCHEDULED_EVENT_DELETE" -> c.gone(Table.SCHEDULED_EVENTS, need(e.id("id"), "id"),
                    need(e.id("guild_id"), "guild_id"), null, null, null, null, null);
            case "MESSAGE_CREATE" -> message(c, e);
            case "MESSAGE_UPDATE" -> {
                String id = need(e.id("id"), "id");
                if (e.has("content") || e.has("author")) {
                    message(c, e);
                }
                c.revisions.add(new String[] {id, shard, Long.toString(d.seq()), e.text("content"),
                    e.text("edited_timestamp"), e.json()});
            }
            case "MESSAGE_DELETE" -> c.gone(Table.MESSAGES, need(e.id("id"), "id"), e.id("channel_id"),
                    e.id("guild_id"), null, null, null, null, null);
            case "MESSAGE_DELETE_BULK" -> {
                for (String id : e.list("ids")) {
                    c.gone(Table.MESSAGES, id, e.id("channel_id"), e.id("guild_id"), null, null, null, null, null);
                }
            }
            default -> {
                return null;
            }
        }
        return c;
    }

    /** Which children of a dispatch's {@code d} are read as entities of their own. */
    static Entity.Shape shapeOf(String type) {
        return switch (type) {
            case "READY" -> Entity.Shape.of("guilds", FLAT, "user", FLAT);
            case "GUILD_CREATE" -> GUILD;
            case "GUILD_UPDATE" -> GUILD_UPDATE;
            case "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE" -> ROLE_EVENT;
            case "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "PRESENCE_UPDATE" -> USER_CHILD;
            case "GUILD_MEMBERS_CHUNK" -> MEMBERS_CHUNK;
            case "VOICE_STATE_UPDATE" -> VOICE_STATE;
            case "GUILD_EMOJIS_UPDATE" -> Entity.Shape.of("emojis", FLAT);
            case "GUILD_STICKERS_UPDATE" -> Entity.Shape.of("stickers", FLAT);
            case "THREAD_CREATE", "THREAD_UPDATE", "CHANNEL_CREATE", "CHANNEL_UPDATE" -> THREAD;
            case "THREAD_LIST_SYNC" -> THREAD_LIST_SYNC;
            case "THREAD_MEMBERS_UPDATE" -> THREAD_MEMBERS_UPDATE;
            case "MESSAGE_CREATE", "MESSAGE_UPDATE" -> MESSAGE;
            default -> FLAT;
        };
    }

    private static void unavailable(Change c, String gid, String shard) {
        c.add(Table.GUILDS, gid, shard, null, null, null, "true", null, null);
        c.add(Table.GUILD_BOTS, c.application, gid, shard, "true");
    }

    private static void guildCreate(Change c, Entity g, String shard) throws IOException {
        if ("true".equals(g.text("unavailable"))) {
            unavailable(c, need(g.id("id"), "id"), shard); // a guild in an outage: nothing of it is known
            return;
        }
        String gid = guild(c, g, shard, "now");
        for (Entity ch : g.array("channels")) {
            channel(c, ch, gid);
        }
        for (Entity th : g.array("threads")) {
            channel(c, th, gid);
            Entity self = th.object("member");
            if (self != null) {
                threadMember(c, self, need(th.id("id"), "thread id"), gid);
            }
        }
        for (Entity r : g.array("roles")) {
            role(c, r, gid);
        }
        for (Entity m : g.array("members")) {
            member(c, m, gid, "diff");
        }
        for (Entity p : g.array("presences")) {
            presence(c, p, gid);
        }
        for (Entity v : g.array("voice_states")) {
            voiceState(c, v, gid);
        }
        for (Entity x : g.array("emojis")) {
            emoji(c, x, gid);
        }
        for (Entity x : g.array("stickers")) {
            sticker(c, x, gid);
        }
        for (Entity x : g.array("stage_instances")) {
            stage(c, x, gid);
        }
        for (Entity x : g.array("guild_scheduled_events")) {
            scheduledEvent(c, x, gid);
        }
        for (Sweep s : GUILD_CREATE_SWEEPS) {
            c.sweep(s, gid);
        }
        if (!"true".equals(g.text("large"))) {
            // a guild below large_threshold arrives with every member: whoever is missing has left
            c.sweep(Sweep.MEMBERS_OF_GUILD, gid);
        }
    }

    /** The guild row; {@code loadedAt} is "now" for a GUILD_CREATE (kept from the first one), null otherwise. */
    private static String guild(Change c, Entity g, String shard, String loadedAt) throws IOException {
        String gid = need(g.id("id"), "id");
        c.add(Table.GUILDS, g.jsonUtf8(), gid, shard, g.text("name"), g.id("owner_id"), g.id("member_count"), "false", loadedAt);
        c.add(Table.GUILD_BOTS, c.application, gid, shard, "false");
        return gid;
    }

    private static void channel(Change c, Entity ch, String guildId) throws IOException {
        c.add(Table.CHANNELS, ch.jsonUtf8(), need(ch.id("id"), "channel id"), guildId != null ? guildId : ch.id("guild_id"),
                ch.id("parent_id"), ch.id("type"), ch.text("name"), ch.id("position"));
    }

    private static void role(Change c, Entity r, String guildId) throws IOException {
        c.add(Table.ROLES, r.jsonUtf8(), need(r.id("id"), "role id"), guildId, r.text("name"), r.id("position"),
                r.text("permissions"), r.id("color"));
    }

    /** A member; {@code learnedBy} says how (the change log's "how"): "add", "event" or "diff". */
    private static void member(Change c, Entity m, String guildId, String learnedBy) throws IOException {
        Entity u = m.object("user");
        if (u == null) {
            throw new IOException("member without user");
        }
        String uid = user(c, u);
        c.add(Table.MEMBERS, m.jsonUtf8(), guildId, uid, m.text("nick"), m.text("joined_at"),
                roles(m.list("roles")), learnedBy);
    }

    /** A member's role ids as a PostgreSQL array literal; each must be a snowflake. */
    private static String roles(java.util.List<String> ids) throws IOException {
        StringBuilder b = new StringBuilder(2 + ids.size() * 20).append('{');
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            if (!digits(id)) {
                throw new IOException("member roles[] holds '" + id + "', not a snowflake");
            }
            b.append(i == 0 ? "" : ",").append(id);
        }
        return b.append('}').toString();
    }

    private static boolean digits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static void presence(Change c, Entity p, String guildId) throws IOException {
        Entity u = p.object("user");
        if (u == null) {
            throw new IOException("presence without user");
        }
        c.add(Table.PRESENCES, p.jsonUtf8(), guildId, need(u.id("id"), "presence user.id"), p.text("status"));
    }

    /** The user's row; returns its id (a member's row shares the string). */
    private static String user(Change c, Entity u) throws IOException {
        String id = need(u.id("id"), "user id");
        c.add(Table.USERS, u.jsonUtf8(), id, u.text("username"), u.text("global_name"), u.text("bot"),
                u.text("avatar"));
        return id;
    }

    /** A voice state; leaving voice (channel_id null) marks it gone. */
    private static void voiceState(Change c, Entity v, String guildId) throws IOException {
        String uid = need(v.id("user_id"), "voice state user_id");
        String channel = v.id("channel_id");
        Change.Row r = c.add(Table.VOICE_STATES, v.jsonUtf8(), guildId, uid, channel, v.text("session_id"), v.text("self_mute"),
                v.text("self_deaf"));
        r.gone = channel == null;
    }

    private static void emoji(Change c, Entity x, String guildId) throws IOException {
        c.add(Table.EMOJIS, x.jsonUtf8(), need(x.id("id"), "emoji id"), guildId, x.text("name"), x.text("animated"));
    }

    private static void sticker(Change c, Entity x, String guildId) throws IOException {
        c.add(Table.STICKERS, x.jsonUtf8(), need(x.id("id"), "sticker id"), guildId, x.text("name"), x.id("format_type"));
    }

    private static void stage(Change c, Entity x, String guildId) throws IOException {
        c.add(Table.STAGE_INSTANCES, x.jsonUtf8(), need(x.id("id"), "stage instance id"), guildId, x.id("channel_id"),
                x.text("topic"));
    }

    private static void scheduledEvent(Change c, Entity x, String guildId) throws IOException {
        c.add(Table.SCHEDULED_EVENTS, x.jsonUtf8(), need(x.id("id"), "scheduled event id"), guildId, x.id("channel_id"),
                x.text("name"), x.id("status"), x.text("scheduled_start_time"));
    }

    /** A thread member; {@code threadId} from the object's id or its thread. Without user_id it is not stored. */
    private static void threadMember(Change c, Entity m, String threadId, String guildId) throws IOException {
        String uid = m.id("user_id");
        if (uid == null) {
            return; // embedded in a thread for the bot itself, Discord may omit the ids
        }
        c.add(Table.THREAD_MEMBERS, m.jsonUtf8(), threadId, uid, guildId, m.text("join_timestamp"));
    }

    private static void message(Change c, Entity m) throws IOException {
        Entity author = m.object("author");
        String authorId = author == null ? null : user(c, author);
        c.add(Table.MESSAGES, m.jsonUtf8(), need(m.id("id"), "id"), m.id("channel_id"), m.id("guild_id"), authorId,
                m.text("content"), m.text("timestamp"), m.text("edited_timestamp"));
    }

    private static String need(String value, String what) throws IOException {
        if (value == null) {
            throw new IOException("missing or malformed " + what);
        }
        return value;
    }
}
