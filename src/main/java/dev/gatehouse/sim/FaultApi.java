package dev.gatehouse.sim;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The simulator's fault API on its REST port, for tests and for people pointing any bot library at it:
 * {@code POST /sim/shards/{shard}/{fault}} with the bot token in {@code Authorization} ({@code Bot <token>} or the
 * bare token), and {@code GET /sim/sessions} for the truth of what each session was sent. Faults: reconnect (op 7),
 * invalidate?resumable=true|false (op 9), close?code=N, zombie, drop, malformed, heartbeat (op 1),
 * split?frames=N, slow?pieces=N&amp;delayMs=N, partial. Errors are JSON naming what was wrong; the token is never echoed.
 */
final class FaultApi extends SimpleChannelInboundHandler<FullHttpRequest> {
    /** Every fault this API knows, for the 404 that names them. */
    static final List<String> FAULTS = List.of("reconnect", "invalidate", "close", "zombie", "drop", "malformed", "heartbeat",
            "split", "slow", "partial");

    private final Simulator sim;
    private final byte[] token;

    FaultApi(Simulator sim, String token) {
        super(false);
        this.sim = sim;
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    /** A request the API refuses: its status and the message naming what was wrong. */
    private static final class Refused extends RuntimeException {
        final HttpResponseStatus status;

        Refused(HttpResponseStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        if (!uri.path().startsWith("/sim/")) {
            ctx.fireChannelRead(req);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpMethod method = req.method();
        boolean authorized = authorized(req.headers().get(HttpHeaderNames.AUTHORIZATION, ""));
        req.release();
        if (!authorized) {
            respond(ctx, keepAlive, HttpResponseStatus.UNAUTHORIZED, error("401: Unauthorized: send the simulator's bot token"
                    + " in Authorization"));
            return;
        }
        // the faults wait for the world thread, which may wait for this event loop: answer from another thread
        Thread.ofVirtual().name("sim-fault-api").start(() -> {
            try {
                respond(ctx, keepAlive, HttpResponseStatus.OK, handle(method, uri.path(), uri.parameters()));
            } catch (Refused r) {
                respond(ctx, keepAlive, r.status, error(r.getMessage()));
            } catch (java.util.concurrent.CompletionException e) {
                // the shard has no connected session (or the world refused the fault): say which
                String why = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
                respond(ctx, keepAlive, HttpResponseStatus.CONFLICT, error("409: " + why));
            }
        });
    }

    private boolean authorized(String header) {
        String t = header.startsWith("Bot ") ? header.substring(4) : header;
        return MessageDigest.isEqual(t.getBytes(StandardCharsets.UTF_8), token);
    }

    private String handle(HttpMethod method, String path, Map<String, List<String>> q) {
        String[] parts = path.substring(1).split("/");
        if (parts.length == 2 && parts[1].equals("sessions")) {
            if (!method.equals(HttpMethod.GET)) {
                throw new Refused(HttpResponseStatus.METHOD_NOT_ALLOWED, "405: /sim/sessions is read with GET");
            }
            return sessions();
        }
        if (parts.length != 4 || !parts[1].equals("shards")) {
            throw new Refused(HttpResponseStatus.NOT_FOUND, "404: unknown path " + path
                    + "; expected POST /sim/shards/{shard}/{fault} or GET /sim/sessions");
        }
        if (!method.equals(HttpMethod.POST)) {
            throw new Refused(HttpResponseStatus.METHOD_NOT_ALLOWED, "405: faults are POSTed");
        }
        int shard = number(Map.of("shard", List.of(parts[2])), "shard", -1, 0, 1_000_000);
        String fault = parts[3];
        switch (fault) {
            case "reconnect" -> sim.requestReconnect(shard);
            case "invalidate" -> sim.invalidateSession(shard, bool(q, "resumable"));
            case "close" -> sim.closeShard(shard, number(q, "code", -1, 1000, 4999));
            case "zombie" -> sim.stopAcking(shard);
            case "drop" -> sim.dropConnection(shard);
            case "malformed" -> sim.sendMalformedFrame(shard);
            case "heartbeat" -> sim.requestHeartbeat(shard);
            case "split" -> sim.splitNextMessage(shard, number(q, "frames", 3, 2, 1000));
            case "slow" -> sim.slowNextMessage(shard, number(q, "pieces", 4, 2, 1000), number(q, "delayMs", 200, 0, 60_000));
            case "partial" -> sim.cutNextMessage(shard);
            default -> throw new Refused(HttpResponseStatus.NOT_FOUND, "404: unknown fault '" + fault + "'; faults: "
                    + String.join(", ", FAULTS));
        }
        return "{\"shard\":" + shard + ",\"fault\":\"" + fault + "\"}";
    }

    private String sessions() {
        StringJoiner out = new StringJoiner(",", "[", "]");
        for (GatewaySession s : sim.sessions()) {
            out.add("{\"session_id\":\"" + s.id() + "\",\"shard\":" + s.shardId() + ",\"dispatches\":" + s.count() + "}");
        }
        return out.toString();
    }

    /** A whole-number parameter within a range; absent takes the default (a default below min means required). */
    private static int number(Map<String, List<String>> q, String name, int byDefault, int min, int max) {
        List<String> v = q.get(name);
        if (v == null || v.isEmpty()) {
            if (byDefault >= min) {
                return byDefault;
            }
            throw new Refused(HttpResponseStatus.BAD_REQUEST, "400: parameter '" + name + "' is required (a whole number from "
                    + min + " to " + max + ")");
        }
        try {
            int n = Integer.parseInt(v.getFirst());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw new Refused(HttpResponseStatus.BAD_REQUEST, "400: parameter '" + name + "' must be a whole number from " + min
                + " to " + max + ", got '" + v.getFirst() + "'");
    }

    private static boolean bool(Map<String, List<String>> q, String name) {
        List<String> v = q.getOrDefault(name, List.of());
        if (v.size() == 1 && (v.getFirst().equals("true") || v.getFirst().equals("false"))) {
            return Boolean.parseBoolean(v.getFirst());
        }
        throw new Refused(HttpResponseStatus.BAD_REQUEST, "400: parameter '" + name + "' must be true or false"
                + (v.isEmpty() ? "" : ", got '" + v.getFirst() + "'"));
    }

    private static String error(String message) {
        return "{\"message\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
    }

    private static void respond(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, String json) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
        HttpUtil.setKeepAlive(res, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
