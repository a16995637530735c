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
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Netty HTTP/1.1 server of the API on its own two event loop threads. A pipeline of small handlers: the
 * codec (bounded request line and headers), a deadline for a whole request, keep-alive, the aggregator (bodies
 * over {@link #MAX_BODY} get 413), then {@link ApiHandler}. A client that sends half a request and stalls holds
 * one idle socket until the deadline, never a thread.
 */
final class ApiServer implements AutoCloseable {
    /** Largest request body: every command fits in 4 KiB, so this is generous. */
    static final int MAX_BODY = 64 * 1024;
    /** A request must arrive whole within this; an idle keep-alive connection is closed after {@link #IDLE_SECONDS}. */
    static final long REQUEST_DEADLINE_MS = 10_000;
    static final int IDLE_SECONDS = 60;

    private final EventLoopGroup loop;
    private final Channel channel;

    ApiServer(String bind, int port, ApiHandler handler) throws InterruptedException {
        loop = new NioEventLoopGroup(2, Thread.ofPlatform().name("gatehouse-api-", 0).daemon(true).factory());
        try {
            channel = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 256)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new ReadTimeoutHandler(IDLE_SECONDS),
                                    new HttpServerCodec(4096, 8192, 8192),
                                    new RequestDeadline(),
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

    /** Closes a connection whose request has not arrived whole within {@link #REQUEST_DEADLINE_MS}. */
    private static final class RequestDeadline extends ChannelDuplexHandler {
        private ScheduledFuture<?> deadline;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof HttpRequest && deadline == null) {
                deadline = ctx.executor().schedule(() -> {
                    ctx.close();
                }, REQUEST_DEADLINE_MS, TimeUnit.MILLISECONDS);
            }
            if (msg instanceof LastHttpContent && deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (deadline != null) {
                deadline.cancel(false);
            }
            super.channelInactive(ctx);
        }
    }

    /** The aggregator, answering an oversized body with a JSON 413 and closing the connection. */
    private static final class BoundedBody extends HttpObjectAggregator {
        BoundedBody() {
            super(MAX_BODY);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            String json = JsonNodeFactory.instance.objectNode()
                    .put("error", "the request body is over " + MAX_BODY + " bytes").put("field", "body").toString();
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, Answer.JSON);
            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
            res.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
