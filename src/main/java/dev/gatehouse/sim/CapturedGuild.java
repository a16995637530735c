package dev.gatehouse.sim;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a recorded GUILD_CREATE into a guild of the {@link World}: its channels, threads, roles and members, so
 * the world's truth (ids and counts) is the capture's. Load time only, so it reads the payload into plain maps.
 */
final class CapturedGuild {
    private CapturedGuild() {
    }

    /**
     * Adds the guild of a GUILD_CREATE {@code d} to the world and returns it.
     *
     * @throws IOException when {@code d} is not an object with a snowflake {@code id}
     */
    static World.Guild add(World world, byte[] d) throws IOException {
        Map<String, Object> g = object(d);
        long id = snowflake(g, "id");
        if (id == 0) {
            throw new IOException("GUILD_CREATE without a snowflake \"id\"");
        }
        World.Guild guild = new World.Guild(id, text(g, "name", "guild " + id), text(g, "joined_at", World.timestamp(id)));
        guild.ownerId = snowflake(g, "owner_id");
        guild.unavailable = Boolean.TRUE.equals(g.get("unavailable"));
        for (Map<String, Object> r : objects(g, "roles")) {
            long rid = snowflake(r, "id");
            guild.roles.put(rid, new World.Role(rid, text(r, "name", ""), (int) number(r, "color"), (int) number(r, "position"),
                    text(r, "permissions", "0")));
        }
        List<Map<String, Object>> channels = new ArrayList<>(objects(g, "channels"));
        channels.addAll(objects(g, "threads"));
        for (Map<String, Object> c : channels) {
            long cid = snowflake(c, "id");
            World.Channel ch = new World.Channel(cid, id, snowflake(c, "parent_id"), (int) number(c, "type"),
                    text(c, "name", ""), (int) number(c, "position"));
            ch.topic = text(c, "topic", null);
            guild.channels.put(cid, ch);
        }
        for (Map<String, Object> m : objects(g, "members")) {
            if (!(m.get("user") instanceof Map<?, ?> u)) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> user = (Map<String, Object>) u;
            World.User wu = new World.User(snowflake(user, "id"), text(user, "username", ""), text(user, "global_name", null),
                    Boolean.TRUE.equals(user.get("bot")));
            World.Member member = new World.Member(wu, text(m, "joined_at", guild.joinedAt), "offline");
            member.nick = text(m, "nick", null);
            if (m.get("roles") instanceof List<?> roles) {
                for (Object r : roles) {
                    member.roles.add(Long.parseLong(String.valueOf(r)));
                }
            }
            guild.members.put(wu.id, member);
        }
        world.guilds.put(id, guild);
        world.guildList.add(guild);
        return guild;
    }

    private static long snowflake(Map<String, Object> o, String field) {
        Object v = o.get(field);
        return v instanceof String s && !s.isEmpty() ? Long.parseLong(s) : 0;
    }

    private static long number(Map<String, Object> o, String field) {
        return o.get(field) instanceof Number n ? n.longValue() : 0;
    }

    private static String text(Map<String, Object> o, String field, String fallback) {
        return o.get(field) instanceof String s ? s : fallback;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> objects(Map<String, Object> o, String field) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (o.get(field) instanceof List<?> list) {
            for (Object x : list) {
                if (x instanceof Map<?, ?> m) {
                    out.add((Map<String, Object>) m);
                }
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(byte[] json) throws IOException {
        try (JsonParser p = SimJson.JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("GUILD_CREATE \"d\" is not an object");
            }
            return (Map<String, Object>) value(p);
        }
    }

    /** The value at the parser's current token, as maps, lists, strings, numbers, booleans and nulls. */
    private static Object value(JsonParser p) throws IOException {
        switch (p.currentToken()) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    m.put(name, value(p));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return p.getNumberValue();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            default -> {
                return null;
            }
        }
    }
}
