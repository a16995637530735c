package dev.gatehouse.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One HTTP answer: status, content type, body and extra headers.
 *
 * @param headers extra response headers (Retry-After, Allow, ...)
 */
record Answer(int status, String contentType, byte[] body, Map<String, String> headers) {
    static final String JSON = "application/json; charset=utf-8";

    /** A JSON answer from text PostgreSQL or the tree writer produced. */
    static Answer json(int status, String json) {
        return new Answer(status, JSON, json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** A JSON answer of a tree. */
    static Answer json(int status, ObjectNode node) {
        return json(status, node.toString());
    }

    /** The same answer with one more header. */
    Answer with(String header, String value) {
        Map<String, String> h = new java.util.LinkedHashMap<>(headers);
        h.put(header, value);
        return new Answer(status, contentType, body, Map.copyOf(h));
    }
}
