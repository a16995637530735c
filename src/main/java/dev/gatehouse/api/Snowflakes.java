package dev.gatehouse.api;

import com.fasterxml.jackson.databind.JsonNode;

/** Reads Discord ids from paths, parameters and bodies: a positive 64-bit whole number, as a string or a number. */
final class Snowflakes {
    private Snowflakes() {
    }

    /** A snowflake from text; a 400 naming {@code field} otherwise. */
    static long parse(String field, String text) {
        if (text == null || text.isEmpty() || text.length() > 20 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiError.badRequest(field, "must be a snowflake (a positive whole number), got '" + clip(text) + "'");
        }
        try {
            long id = Long.parseLong(text);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException tooLarge) {
            // falls through to the error
        }
        throw ApiError.badRequest(field, "must be a snowflake from 1 to " + Long.MAX_VALUE + ", got '" + clip(text) + "'");
    }

    /**
     * A page's cursor: the id to read after, a snowflake or 0 for the first page (Discord's own {@code after=0}
     * convention); a 400 naming {@code field} otherwise.
     */
    static long cursor(String field, String text) {
        boolean zero = text != null && !text.isEmpty() && text.length() <= 20 && text.chars().allMatch(c -> c == '0');
        return zero ? 0 : parse(field, text);
    }

    /** A snowflake body field: a string of digits or a whole number. */
    static long parse(String field, JsonNode node) {
        if (node != null && node.isIntegralNumber() && node.canConvertToLong()) {
            return parse(field, Long.toString(node.asLong()));
        }
        if (node != null && node.isTextual()) {
            return parse(field, node.asText());
        }
        throw ApiError.badRequest(field, "must be a snowflake (a string of digits), got " + (node == null ? "nothing" : clip(node.toString())));
    }

    /** A value shortened for an error message. */
    static String clip(String s) {
        if (s == null) {
            return "";
        }
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
