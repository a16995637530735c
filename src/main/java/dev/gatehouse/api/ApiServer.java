package dev.gatehouse.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.concurrent.atomic.AtomicInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Netty HTTP/1.1 server of the API on its own two event loop threads. A pipeline of small handlers: a cap on
 * open connections, the connection's clock (a deadline for each request, an idle limit between requests), the
 * codec (bounded request line and headers), keep-alive, the aggregator (bodies over {@link #MAX_BODY} get 413, in
 * their turn), then {@link ApiHandler}. A client that sends half a request and stalls, or trickles its headers,
 * holds one socket until the deadline, never a thread.
 */
final class ApiServer implements AutoCloseable {
    /** Largest request body: every command fits in 4 KiB, so this is generous. */
    static final int MAX_BODY = 64 * 1024;
    /**
     * The default of {@code api.requestDeadlineMs}: from its first byte (or the connection's opening), a request must
     * arrive whole within this; between requests a keep-alive connection with no answer pending is closed after
     * {@link #IDLE_MS}. While an answer is pending
     * (a member request may wait up to its {@code ?timeout=}) neither clock runs.
     */
    static final long REQUEST_DEADLINE_MS = 10_000;
    static final long IDLE_MS = 60_000;

    /** The clocks and the connection cap of a server. */
    record Limits(long requestDeadlineMs, long idleMs, int maxConnections) {
    }

    private final EventLoopGroup loop;
    private final Channel channel;

    ApiServer(String bind, int port, ApiHandler handler, Limits limits) throws InterruptedException {
        loop = new NioEventLoopGroup(2, Thread.ofPlatform().name("gatehouse-api-", 0).daemon(true).factory());
        ConnectionCap cap = new ConnectionCap(limits.maxConnections());
        try {
            channel = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 256)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            Clock clock = new Clock(limits);
                            ch.pipeline().addLast(cap, clock.bytes(),
                                    new HttpServerCodec(4096, 8192, 8192),
                                    clock.messages(),
                                    new HttpServerKeepAliveHandler(),
                                    new BoundedBody(),
                                    handler);
                        }
                    })
                    .bind(new InetSocketAddress(bind, port)).sync().channel();
        } catch (InterruptedException e) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        } catch (Exception e) { // Netty rethrows the BindException unchecked
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("api: cannot listen on " + bind + ":" + port + " (" + e.getMessage()
                    + "); set api.port to a free port, or 0 to turn the API off", e);
        }
    }

    /** The port listened on (the chosen one when configured as 0). */
    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** First in the pipeline: beyond {@code api.maxConnections} open connections a new one gets 503 and is closed. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class ConnectionCap extends ChannelInboundHandlerAdapter {
        private static final byte[] REFUSED = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: " + Answer.JSON
                + "\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: ").getBytes(StandardCharsets.US_ASCII);
        private final int max;
        private final AtomicInteger open = new AtomicInteger();

        ConnectionCap(int max) {
            this.max = max;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (open.incrementAndGet() > max) {
                byte[] json = JsonNodeFactory.instance.objectNode().put("error", "the API has " + max
                        + " connections open (api.maxConnections); retry shortly").toString().getBytes(StandardCharsets.UTF_8);
                ctx.writeAndFlush(Unpooled.wrappedBuffer(REFUSED, (json.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                        json)).addListener(ChannelFutureListener.CLOSE);
                ctx.channel().config().setAutoRead(false);
                return; // the rest of the pipeline never hears of it
            }
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (!ctx.channel().config().isAutoRead()) { // a refused connection: its bytes go nowhere
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            open.decrementAndGet();
            super.channelInactive(ctx);
        }
    }

    /**
     * One connection's clock: a request must arrive whole within the deadline counted from its first byte (from
     * the opening for the first request, so a header trickled a byte a minute is cut); after the last pending
     * answer is written the idle limit runs; while an answer is pending no clock runs. It sees raw bytes before the
     * codec ({@link #bytes()}) and whole requests and answers after it ({@link #messages()}).
     */
    private static final class Clock {
        private final Limits limits;
        private ScheduledFuture<?> timer;
        private boolean inRequest = true; // the opening starts the first request's deadline
        private int pending;

        Clock(Limits limits) {
            this.limits = limits;
        }

        private void rearm(ChannelHandlerContext ctx) {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            long ms = inRequest ? limits.requestDeadlineMs() : pending == 0 ? limits.idleMs() : -1;
            if (ms >= 0 && ctx.channel().isActive()) {
                timer = ctx.executor().schedule(() -> {
                    ctx.channel().close();
                }, ms, TimeUnit.MILLISECONDS);
            }
        }

        ChannelInboundHandlerAdapter bytes() {
            return new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) throws Exception {
                    rearm(ctx);
                    super.channelActive(ctx);
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                    if (!inRequest) {
                        inRequest = true;
                        rearm(ctx);
                    }
                    super.channelRead(ctx, msg);
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) throws Exception {
                    if (timer != null) {
                        timer.cancel(false);
                    }
                    super.channelInactive(ctx);
                }
            };
        }

        ChannelDuplexHandler messages() {
            return new ChannelDuplexHandler() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                    if (msg instanceof LastHttpContent) {
                        inRequest = false;
                        pending++;
                        rearm(ctx);
                    }
                    super.channelRead(ctx, msg);
                }

                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
                    boolean answer = msg instanceof LastHttpContent && !(msg instanceof HttpResponse r
                            && r.status().codeClass() == HttpStatusClass.INFORMATIONAL); // not a 100 Continue
                    if (answer) {
                        promise = promise.unvoid();
                        promise.addListener(f -> {
                            pending = Math.max(0, pending - 1);
                            rearm(ctx);
                        });
                    }
                    super.write(ctx, msg, promise);
                }
            };
        }
    }

    /**
     * The aggregator. An oversized body is not answered here, ahead of the answers still pending on the
     * connection: a request failed with {@link OversizedBody} goes on to {@link ApiHandler}, which answers
     * it 413 in its turn and closes the connection.
     */
    private static final class BoundedBody extends HttpObjectAggregator {
        BoundedBody() {
            super(MAX_BODY);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            HttpRequest req = (HttpRequest) oversized;
            DefaultFullHttpRequest failed = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, req.method(), req.uri());
            failed.headers().set(req.headers());
            failed.setDecoderResult(DecoderResult.failure(new OversizedBody()));
            ctx.fireChannelRead(failed);
        }
    }

    /** The decoder failure of a request whose body is over {@link #MAX_BODY}. */
    static final class OversizedBody extends RuntimeException {
        OversizedBody() {
            super("the request body is over " + MAX_BODY + " bytes", null, false, false);
        }
    }
}
