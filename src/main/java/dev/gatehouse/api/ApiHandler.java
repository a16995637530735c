package dev.gatehouse.api;

import dev.gatehouse.state.StateCache;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * The last handler of the API's pipeline: checks the secret (in constant time), finds the route, runs it and
 * writes its answer, or the JSON error that says what was wrong. Never logs a header, so never the secret.
 */
@ChannelHandler.Sharable
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final System.Logger LOG = System.getLogger(ApiHandler.class.getName());

    /** The write of the connection's latest answer: the next answer waits for it. */
    private static final io.netty.util.AttributeKey<CompletableFuture<Void>> LAST_WRITE =
            io.netty.util.AttributeKey.valueOf("gatehouse.api.lastWrite");

    private final Routes routes;
    private final byte[] secret;
    private final ApiStats stats;

    /** @param secret the API secret, empty for none (loopback only: then every route is open) */
    ApiHandler(Routes routes, String secret, ApiStats stats) {
        this.routes = routes;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.stats = stats;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        CompletableFuture<Answer> answer;
        String pattern = "unmatched";
        try {
            if (req.decoderResult().isFailure()) {
                throw new ApiError(400, "", "malformed HTTP request: " + req.decoderResult().cause().getMessage());
            }
            QueryStringDecoder uri = new QueryStringDecoder(req.uri());
            boolean authorized = authorized(req.headers().get(HttpHeaderNames.AUTHORIZATION));
            Routes.Match m;
            try {
                m = routes.match(req.method().name(), uri.path());
            } catch (ApiError unknown) {
                throw authorized ? unknown : unauthorized(); // which routes exist is for clients with the secret
            }
            pattern = m.route().pattern();
            if (!m.route().open() && !authorized) {
                throw unauthorized();
            }
            byte[] body = new byte[req.content().readableBytes()];
            req.content().readBytes(body);
            ApiRequest r = new ApiRequest(req.method().name(), uri.path(), m.segments(), uri.parameters(), body);
            answer = m.route().handler().handle(r);
        } catch (Exception e) {
            answer = CompletableFuture.failedFuture(e);
        }
        String route = pattern;
        CompletableFuture<Answer> out = answer.handle((a, error) -> {
            Answer done = error == null ? a : fromError(error);
            stats.answered(route, done.status());
            return done;
        });
        // pipelined requests are answered in the order they came, whichever answer is ready first
        CompletableFuture<Void> previous = ctx.channel().attr(LAST_WRITE).get();
        CompletableFuture<Void> written = new CompletableFuture<>();
        ctx.channel().attr(LAST_WRITE).set(written);
        (previous == null ? out : previous.thenCombine(out, (v, a) -> a)).thenAccept(a -> ctx.executor().execute(
                () -> write(ctx, a, keepAlive).addListener(f -> written.complete(null))));
    }

    private static ApiError unauthorized() {
        return new ApiError(401, "Authorization", "missing or wrong Authorization header (the api.secret)");
    }

    private boolean authorized(String header) {
        if (secret.length == 0) {
            return true;
        }
        byte[] given = header == null ? new byte[0] : header.getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, secret);
    }

    private static Answer fromError(Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (e instanceof ApiError a) {
            return a.answer();
        }
        if (e instanceof StateCache.StateReadException || e instanceof java.sql.SQLException) {
            LOG.log(System.Logger.Level.WARNING, "api: " + e.getMessage());
            return new ApiError(503, "", "the state database cannot answer now: " + e.getMessage()).answer();
        }
        if (e instanceof RejectedExecutionException) {
            return new ApiError(503, "", "too many reads are waiting for the database; retry shortly",
                    Map.of("Retry-After", "1")).answer();
        }
        LOG.log(System.Logger.Level.ERROR, "api: a route failed", e);
        return new ApiError(500, "", "internal error: " + e).answer();
    }

    private static io.netty.channel.ChannelFuture write(ChannelHandlerContext ctx, Answer a, boolean keepAlive) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(a.status()),
                Unpooled.wrappedBuffer(a.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType());
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, a.body().length);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        for (Map.Entry<String, String> h : a.headers().entrySet()) {
            res.headers().set(h.getKey(), h.getValue());
        }
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            return ctx.writeAndFlush(res);
        }
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(System.Logger.Level.DEBUG, "api: connection closed after " + cause);
        ctx.close();
    }
}
