package dev.gatehouse.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;

/**
 * One request as a route sees it: the path's named segments, the query parameters and the body, with typed
 * reads that refuse bad values with a 400 naming the segment, parameter or field.
 */
record ApiRequest(String method, String path, Map<String, String> segments, Map<String, List<String>> query, byte[] body) {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A snowflake path segment ({@code guild_id}, ...). */
    long snowflake(String name) {
        return Snowflakes.parse(name, segments.get(name));
    }

    /** A whole-number query parameter within bounds, or its default when absent. */
    long number(String name, long defaultValue, long min, long max) {
        String v = param(name);
        if (v == null) {
            return defaultValue;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw ApiError.badRequest(name, "must be a whole number from " + min + " to " + max + ", got '" + Snowflakes.clip(v) + "'");
        }
        if (n < min || n > max) {
            throw ApiError.badRequest(name, "must be a whole number from " + min + " to " + max + ", got " + n);
        }
        return n;
    }

    /** A page's cursor query parameter ({@link Snowflakes#cursor}: a snowflake or 0), 0 when absent. */
    long cursorParam(String name) {
        String v = param(name);
        return v == null ? 0 : Snowflakes.cursor(name, v);
    }

    /** A true/false query parameter, false when absent. */
    boolean flag(String name) {
        String v = param(name);
        if (v == null) {
            return false;
        }
        return switch (v) {
            case "true", "1", "" -> true;
            case "false", "0" -> false;
            default -> throw ApiError.badRequest(name, "must be true or false, got '" + Snowflakes.clip(v) + "'");
        };
    }

    private String param(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** The body as a JSON object; an empty body is an empty object. */
    JsonNode json() {
        if (body.length == 0) {
            return JSON.createObjectNode();
        }
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiError(400, "body", "the body is not JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new ApiError(400, "body", "the body cannot be read: " + e.getMessage());
        }
        if (n == null || !n.isObject()) {
            throw new ApiError(400, "body", "the body must be a JSON object");
        }
        return n;
    }
}
