package dev.gatehouse.sim;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code d} object of a command a client sent (presence, voice state, request guild members), read into
 * plain maps and lists: commands are rare, so a small tree is fine here. The typed getters throw
 * {@link BadCommand} naming the field that is missing or of the wrong type.
 */
final class CommandData {
    /** A command whose payload does not match its opcode's structure (Discord closes with 4001). */
    static final class BadCommand extends Exception {
        BadCommand(String message) {
            super(message);
        }
    }

    private final Map<String, Object> fields;

    private CommandData(Map<String, Object> fields) {
        this.fields = fields;
    }

    /** Reads the {@code d} of a whole gateway payload; a missing or non-object {@code d} is a bad command. */
    static CommandData of(byte[] payload) throws IOException, BadCommand {
        if (!(tree(payload).get("d") instanceof Map<?, ?> m)) {
            throw new BadCommand("d must be an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) m;
        return new CommandData(d);
    }

    /** A whole JSON object as maps, lists, strings, longs, doubles, booleans and nulls. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> tree(byte[] json) throws IOException {
        try (JsonParser p = SimJson.JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            return (Map<String, Object>) value(p);
        }
    }

    private static Object value(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    p.nextToken();
                    m.put(k, value(p));
                }
                yield m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                yield l;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new IOException("unexpected " + p.currentToken());
        };
    }

    /** True when the field is absent or null. */
    boolean isNull(String name) {
        return fields.get(name) == null;
    }

    /** A required string. */
    String string(String name) throws BadCommand {
        if (fields.get(name) instanceof String s) {
            return s;
        }
        throw new BadCommand(name + " must be a string");
    }

    /** A required boolean. */
    boolean bool(String name) throws BadCommand {
        if (fields.get(name) instanceof Boolean b) {
            return b;
        }
        throw new BadCommand(name + " must be a boolean");
    }

    /** An optional boolean, {@code otherwise} when absent or null. */
    boolean bool(String name, boolean otherwise) throws BadCommand {
        return isNull(name) ? otherwise : bool(name);
    }

    /** A required whole number. */
    long number(String name) throws BadCommand {
        if (fields.get(name) instanceof Long n) {
            return n;
        }
        throw new BadCommand(name + " must be an integer");
    }

    /** A required snowflake: a decimal string (or number) of a positive id. */
    long snowflake(String name) throws BadCommand {
        return snowflakeOf(name, fields.get(name));
    }

    /** A required array. */
    List<Object> array(String name) throws BadCommand {
        if (fields.get(name) instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        throw new BadCommand(name + " must be an array");
    }

    /** One snowflake or an array of them, as {@code user_ids} may be. */
    List<Long> snowflakes(String name) throws BadCommand {
        Object v = fields.get(name);
        List<Long> out = new ArrayList<>();
        if (v instanceof List<?> l) {
            for (Object o : l) {
                out.add(snowflakeOf(name + "[]", o));
            }
        } else {
            out.add(snowflakeOf(name, v));
        }
        return out;
    }

    private static long snowflakeOf(String name, Object v) throws BadCommand {
        try {
            long id = v instanceof Long n ? n : v instanceof String s ? Long.parseLong(s) : -1;
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new BadCommand(name + " must be a snowflake");
    }
}
