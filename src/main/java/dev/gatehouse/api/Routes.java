package dev.gatehouse.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The route table: method and path pattern ({@code /guilds/{guild_id}/members/{user_id}}) to a handler. A path
 * that matches a pattern with another method is 405 (with Allow), a path that matches none is 404; literal
 * segments win over named ones ({@code members/request} before {@code members/{user_id}}).
 */
final class Routes {
    /** What a route does with a request; may complete later (database, gateway), on any thread. */
    interface Handler {
        CompletableFuture<Answer> handle(ApiRequest request) throws Exception;
    }

    /** One route; {@code open} routes need no Authorization (health probes, the status page shell). */
    record Route(String method, String pattern, String[] parts, boolean open, Handler handler) {
    }

    /** The route a request matched, with its named segments. */
    record Match(Route route, Map<String, String> segments) {
    }

    private final List<Route> routes = new ArrayList<>();

    Routes add(String method, String pattern, Handler handler) {
        return add(method, pattern, false, handler);
    }

    Routes open(String method, String pattern, Handler handler) {
        return add(method, pattern, true, handler);
    }

    private Routes add(String method, String pattern, boolean open, Handler handler) {
        routes.add(new Route(method, pattern, split(pattern), open, handler));
        return this;
    }

    /** Every route, for the README check and the status page. */
    List<Route> all() {
        return List.copyOf(routes);
    }

    /** The route of a request; throws 404 or 405. */
    Match match(String method, String path) {
        String[] parts = split(path);
        Match best = null;
        int bestLiterals = -1;
        Set<String> allowed = new LinkedHashSet<>();
        for (Route r : routes) {
            Map<String, String> segments = segments(r.parts, parts);
            if (segments == null) {
                continue;
            }
            if (!r.method.equals(method)) {
                allowed.add(r.method);
                continue;
            }
            int literals = r.parts.length - segments.size();
            if (literals > bestLiterals) {
                best = new Match(r, segments);
                bestLiterals = literals;
            }
        }
        if (best != null) {
            return best;
        }
        if (!allowed.isEmpty()) {
            throw new ApiError(405, "", method + " is not allowed on " + Snowflakes.clip(path) + "; allowed: "
                    + String.join(", ", allowed), Map.of("Allow", String.join(", ", allowed)));
        }
        throw new ApiError(404, "", "no route " + Snowflakes.clip(path) + " (see the README for the routes)");
    }

    private static Map<String, String> segments(String[] pattern, String[] path) {
        if (pattern.length != path.length) {
            return null;
        }
        Map<String, String> out = new java.util.HashMap<>();
        for (int i = 0; i < pattern.length; i++) {
            String p = pattern[i];
            if (p.startsWith("{") && p.endsWith("}")) {
                out.put(p.substring(1, p.length() - 1), path[i]);
            } else if (!p.equals(path[i])) {
                return null;
            }
        }
        return out;
    }

    private static String[] split(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.isEmpty() ? new String[0] : p.split("/", -1);
    }
}
