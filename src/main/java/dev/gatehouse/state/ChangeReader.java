package dev.gatehouse.state;

import dev.gatehouse.pipeline.Dispatch;
import java.io.IOException;

/**
 * Turns the dispatches the state keeps into {@link Change}s. Only the payloads of these types are parsed;
 * every other dispatch costs a string switch.
 */
final class ChangeReader {
    private static final Entity.Shape USER_CHILD = Entity.Shape.of("user", Entity.Shape.FLAT);
    private static final Entity.Shape GUILD = Entity.Shape.of("channels", Entity.Shape.FLAT, "threads", Entity.Shape.FLAT,
            "roles", Entity.Shape.FLAT, "members", USER_CHILD, "presences", USER_CHILD);
    private static final Entity.Shape GUILD_UPDATE = Entity.Shape.of("roles", Entity.Shape.FLAT);
    private static final Entity.Shape ROLE_EVENT = Entity.Shape.of("role", Entity.Shape.FLAT);
    private static final Entity.Shape MESSAGE = Entity.Shape.of("author", Entity.Shape.FLAT);
    private static final Entity.Shape MEMBER_CHUNK = Entity.Shape.of("members", USER_CHILD, "presences", USER_CHILD);

    private ChangeReader() {
    }

    /** True for the dispatch types that change stored state. */
    static boolean stores(String type) {
        return switch (type) {
            case "READY", "GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE", "CHANNEL_CREATE", "CHANNEL_UPDATE",
                 "CHANNEL_DELETE", "THREAD_CREATE", "THREAD_UPDATE", "THREAD_DELETE", "GUILD_ROLE_CREATE",
                 "GUILD_ROLE_UPDATE", "GUILD_ROLE_DELETE", "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE",
                 "GUILD_MEMBER_REMOVE", "PRESENCE_UPDATE", "USER_UPDATE", "MESSAGE_CREATE", "MESSAGE_UPDATE",
                 "MESSAGE_DELETE", "MESSAGE_DELETE_BULK", "GUILD_MEMBERS_CHUNK" -> true;
            default -> false;
        };
    }

    /**
     * Reads the change of one dispatch.
     *
     * @throws IOException when the payload is malformed or lacks a field the state needs (message names it)
     */
    static Change read(Dispatch d) throws IOException {
        String type = d.type();
        Change c = new Change(d.toString());
        Entity e = Entity.readData(d.payload(), d.length(), shapeOf(type));
        if (e == null) {
            throw new IOException(type + " without a d object");
        }
        String shard = Integer.toString(d.shardId());
        switch (type) {
            case "READY" -> {
                // the READY payload's guilds are read by the shard; here we need only which shard: every guild
                // of this shard becomes unavailable until its GUILD_CREATE, those not listed have left
                for (Entity g : e.array("guilds")) {
                    c.add(Table.GUILDS, need(g.id("id"), "READY guilds[].id"), shard, null, null, null, "true", null);
                }
                c.sweeps.add(new Change.SweepOf(Change.Sweep.GUILDS_OF_SHARD, d.shardId()));
            }
            case "GUILD_CREATE" -> guildCreate(c, e, shard);
            case "GUILD_UPDATE" -> {
                guild(c, e, shard);
                String gid = need(e.id("id"), "id");
                for (Entity r : e.array("roles")) {
                    role(c, r, gid);
                }
            }
            case "GUILD_DELETE" -> {
                String gid = need(e.id("id"), "id");
                if ("true".equals(e.text("unavailable"))) {
                    c.add(Table.GUILDS, gid, shard, null, null, null, "true", null);
                } else {
                    c.gone(Table.GUILDS, gid, shard, null, null, null, "false", null);
                }
            }
            case "CHANNEL_CREATE", "CHANNEL_UPDATE", "THREAD_CREATE", "THREAD_UPDATE" -> channel(c, e, e.id("guild_id"));
            case "CHANNEL_DELETE", "THREAD_DELETE" ->
                    c.gone(Table.CHANNELS, need(e.id("id"), "id"), e.id("guild_id"), null, null, null, null, null);
            case "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE" -> {
                Entity r = e.object("role");
                if (r == null) {
                    throw new IOException(type + " without role");
                }
                role(c, r, need(e.id("guild_id"), "guild_id"));
            }
            case "GUILD_ROLE_DELETE" -> c.gone(Table.ROLES, need(e.id("role_id"), "role_id"),
                    need(e.id("guild_id"), "guild_id"), null, null, null, null, null);
            case "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE" -> member(c, e, need(e.id("guild_id"), "guild_id"));
            case "GUILD_MEMBER_REMOVE" -> {
                Entity u = e.object("user");
                String uid = u == null ? null : u.id("id");
                c.gone(Table.MEMBERS, need(e.id("guild_id"), "guild_id"), need(uid, "user.id"), null, null, null);
            }
            case "PRESENCE_UPDATE" -> presence(c, e, need(e.id("guild_id"), "guild_id"));
            case "GUILD_MEMBERS_CHUNK" -> { // the answer to a member request: members of large guilds GUILD_CREATE left out
                String gid = need(e.id("guild_id"), "guild_id");
                for (Entity m : e.array("members")) {
                    member(c, m, gid);
                }
                for (Entity p : e.array("presences")) {
                    presence(c, p, gid);
                }
            }
            case "USER_UPDATE" -> user(c, e);
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

    private static Entity.Shape shapeOf(String type) {
        return switch (type) {
            case "READY" -> Entity.Shape.of("guilds", Entity.Shape.FLAT, "user", Entity.Shape.FLAT);
            case "GUILD_CREATE" -> GUILD;
            case "GUILD_UPDATE" -> GUILD_UPDATE;
            case "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE" -> ROLE_EVENT;
            case "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "PRESENCE_UPDATE" -> USER_CHILD;
            case "MESSAGE_CREATE", "MESSAGE_UPDATE" -> MESSAGE;
            case "GUILD_MEMBERS_CHUNK" -> MEMBER_CHUNK;
            default -> Entity.Shape.FLAT;
        };
    }

    private static void guildCreate(Change c, Entity g, String shard) throws IOException {
        String gid = guild(c, g, shard);
        for (Entity ch : g.array("channels")) {
            channel(c, ch, gid);
        }
        for (Entity th : g.array("threads")) {
            channel(c, th, gid);
        }
        for (Entity r : g.array("roles")) {
            role(c, r, gid);
        }
        for (Entity m : g.array("members")) {
            member(c, m, gid);
        }
        for (Entity p : g.array("presences")) {
            presence(c, p, gid);
        }
        long id = Long.parseLong(gid);
        c.sweeps.add(new Change.SweepOf(Change.Sweep.CHANNELS_OF_GUILD, id));
        c.sweeps.add(new Change.SweepOf(Change.Sweep.ROLES_OF_GUILD, id));
        if (!"true".equals(g.text("large"))) {
            // a guild below large_threshold arrives with every member: whoever is missing has left
            c.sweeps.add(new Change.SweepOf(Change.Sweep.MEMBERS_OF_GUILD, id));
        }
    }

    private static String guild(Change c, Entity g, String shard) throws IOException {
        String gid = need(g.id("id"), "id");
        c.add(Table.GUILDS, gid, shard, g.text("name"), g.id("owner_id"), g.id("member_count"), "false", g.json());
        return gid;
    }

    private static void channel(Change c, Entity ch, String guildId) throws IOException {
        c.add(Table.CHANNELS, need(ch.id("id"), "channel id"), guildId != null ? guildId : ch.id("guild_id"),
                ch.id("parent_id"), ch.id("type"), ch.text("name"), ch.id("position"), ch.json());
    }

    private static void role(Change c, Entity r, String guildId) throws IOException {
        c.add(Table.ROLES, need(r.id("id"), "role id"), guildId, r.text("name"), r.id("position"),
                r.text("permissions"), r.id("color"), r.json());
    }

    private static void member(Change c, Entity m, String guildId) throws IOException {
        Entity u = m.object("user");
        if (u == null) {
            throw new IOException("member without user");
        }
        user(c, u);
        c.add(Table.MEMBERS, guildId, need(u.id("id"), "member user.id"), m.text("nick"), m.text("joined_at"), m.json());
    }

    private static void presence(Change c, Entity p, String guildId) throws IOException {
        Entity u = p.object("user");
        if (u == null) {
            throw new IOException("presence without user");
        }
        c.add(Table.PRESENCES, guildId, need(u.id("id"), "presence user.id"), p.text("status"), p.json());
    }

    private static void user(Change c, Entity u) throws IOException {
        c.add(Table.USERS, need(u.id("id"), "user id"), u.text("username"), u.text("global_name"), u.text("bot"),
                u.text("avatar"), u.json());
    }

    private static void message(Change c, Entity m) throws IOException {
        Entity author = m.object("author");
        if (author != null) {
            user(c, author);
        }
        c.add(Table.MESSAGES, need(m.id("id"), "id"), m.id("channel_id"), m.id("guild_id"),
                author == null ? null : author.id("id"), m.text("content"), m.text("timestamp"),
                m.text("edited_timestamp"), m.json());
    }

    private static String need(String value, String what) throws IOException {
        if (value == null) {
            throw new IOException("missing or malformed " + what);
        }
        return value;
    }
}
