package dev.gatehouse.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * A request the API refuses: an HTTP status and a message naming what was wrong ({@code field} is the
 * offending path segment, parameter or body field, empty when the request as a whole is wrong).
 */
final class ApiError extends RuntimeException {
    final int status;
    final String field;
    final Map<String, String> headers;

    ApiError(int status, String field, String message) {
        this(status, field, message, Map.of());
    }

    ApiError(int status, String field, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.field = field;
        this.headers = headers;
    }

    static ApiError badRequest(String field, String message) {
        return new ApiError(400, field, "'" + field + "' " + message);
    }

    /** The JSON answer: {@code {"error": message, "field": field}} plus any extra fields. */
    Answer answer() {
        return answer(JsonNodeFactory.instance.objectNode());
    }

    Answer answer(ObjectNode extra) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("error", getMessage());
        if (!field.isEmpty()) {
            n.put("field", field);
        }
        n.setAll(extra);
        Answer a = Answer.json(status, n);
        for (Map.Entry<String, String> h : headers.entrySet()) {
            a = a.with(h.getKey(), h.getValue());
        }
        return a;
    }
}
