package dev.gatehouse.shard;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.URI;
import javax.net.ssl.SSLException;

/**
 * One WebSocket connection to a gateway, on Netty's event loops. It only does transport: TLS, the
 * handshake, fragment aggregation and close frames. Every message and the close are handed to a
 * {@link Listener} (which hands them to the shard's cluster thread); nothing is decoded here.
 */
final class GatewayConnection {

    /** Receives what happens on the connection, on a Netty thread. */
    interface Listener {
        void opened(GatewayConnection c);

        /** A whole WebSocket message; the listener owns (and must release) the retained buffer. */
        void message(GatewayConnection c, ByteBuf data, boolean binary, long receivedNanos);

        /** The connection ended: the server's close code, or -1 when the socket dropped without one. */
        void closed(GatewayConnection c, int code, String reason);
    }

    private static final int MAX_MESSAGE = 64 * 1024 * 1024;
    private static final SslContext TLS;

    static {
        try {
            TLS = SslContextBuilder.forClient().build();
        } catch (SSLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Listener listener;
    private volatile Channel channel;
    private volatile int closeCode = -1;
    private volatile String closeReason = "";
    private volatile boolean reported;
    /** Messages handed to the listener and not yet processed; reading pauses above the high mark. */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private static final int HIGH_MARK = 512;
    private static final int LOW_MARK = 128;
    /** The shard asked to stop reading (its ring is full): set and cleared by the cluster thread. */
    private volatile boolean paused;
    /** The WebSocket handshake completed: only then may a pause take effect. Event loop. */
    private boolean handshaken;
    /**
     * Our close frame is on its way (set on the event loop): from then on nothing more reaches the listener; what still
     * arrives is read and dropped until the gateway's answer, so the socket is never shut with bytes unread.
     */
    private volatile boolean closing;
    /** Asked to close before the TCP connection was established: it is dropped as soon as it is. */
    private volatile boolean closeAsked;
    /** How long a close waits for the gateway's answer to its close frame before it drops the socket. */
    static final long CLOSE_ANSWER_MS = 2_000;
    private static final System.Logger LOG = System.getLogger(GatewayConnection.class.getName());

    private GatewayConnection(Listener listener) {
        this.listener = listener;
    }

    /** Starts connecting; the outcome arrives at the listener ({@code opened} or {@code closed}). */
    static GatewayConnection open(EventLoopGroup loop, URI uri, Listener listener, int timeoutMs) {
        GatewayConnection c = new GatewayConnection(listener);
        boolean tls = "wss".equalsIgnoreCase(uri.getScheme());
        String host = uri.getHost();
        int port = uri.getPort() > 0 ? uri.getPort() : (tls ? 443 : 80);
        WebSocketClientProtocolConfig ws = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .handleCloseFrames(false)
                .dropPongFrames(true)
                .maxFramePayloadLength(MAX_MESSAGE)
                .handshakeTimeoutMillis(timeoutMs)
                .build();
        Bootstrap b = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMs)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (tls) {
                            p.addLast(TLS.newHandler(ch.alloc(), host, port));
                        }
                        p.addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                                new WebSocketClientProtocolHandler(ws),
                                new WebSocketFrameAggregator(MAX_MESSAGE), c.new Inbound());
                    }
                });
        b.connect(host, port).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                c.channel = f.channel(); // never paused before the handshake: the 101 and Hello must be read
                f.channel().closeFuture().addListener(x -> c.reportClosed());
                if (c.closeAsked) {
                    f.channel().close(); // closed while connecting: no handshake, no session to end
                }
            } else {
                c.closeReason = "connect to " + host + ":" + port + " failed: " + f.cause();
                c.reportClosed();
            }
        });
        return c;
    }

    /** Sends one text message. */
    void send(String text) {
        send(text, null);
    }

    /** Sends a text frame; {@code written} runs (on the event loop) once it is on the socket. */
    void send(String text, Runnable written) {
        Channel ch = channel;
        if (ch != null && ch.isActive() && !closeAsked) { // nothing may follow our close frame
            var f = ch.writeAndFlush(new TextWebSocketFrame(text));
            if (written != null) {
                f.addListener(done -> written.run());
            }
        }
    }

    /**
     * Ends the connection with a close frame carrying {@code code}. A resumable code closes the socket right
     * after the frame ({@link #closeAtOnce}). 1000, which ends the session at the gateway, is done with care, on
     * the event loop: from now on nothing more reaches
     * the listener but {@code closed}; reading goes on (even when paused) and what arrives is dropped until the
     * gateway answers with its own close frame, then the socket is closed, at the latest after
     * {@link #CLOSE_ANSWER_MS}. Closing at once would shut a socket with bytes unread, which resets the TCP
     * connection, and a gateway that had not read our close frame yet loses it: the session it should end stays
     * resumable and keeps receiving. A second call adds nothing (one close frame per connection).
     */
    void close(int code, String reason) {
        if (code != 1000) {
            closeAtOnce(code, reason);
            return;
        }
        closeAsked = true;
        Channel ch = channel;
        if (ch == null) {
            return; // still connecting: dropped as soon as the connection is established
        }
        try {
            ch.eventLoop().execute(() -> closeOnLoop(ch, code, reason));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            ch.close(); // the event loop is shut down: its channels are closed already
        }
    }

    /**
     * A resumable close (a reconnect, a process stop): the close frame, then the socket at once. The session stays
     * resumable whether or not the gateway reads the frame, and a stopping process must not wait for answers.
     */
    private void closeAtOnce(int code, String reason) {
        Channel ch = channel;
        if (ch == null) {
            return;
        }
        if (closeCode < 0) {
            closeCode = code;
            closeReason = reason;
        }
        if (ch.isActive()) {
            ch.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
            // a zombie peer may never take the close frame: drop the socket regardless after a while
            ch.eventLoop().schedule(() -> ch.close(), 5, java.util.concurrent.TimeUnit.SECONDS);
        } else {
            ch.close();
        }
    }

    private void closeOnLoop(Channel ch, int code, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        if (closeCode < 0) {
            closeCode = code;
            closeReason = reason;
        }
        if (!ch.isActive() || !handshaken) {
            ch.close(); // no WebSocket yet: nothing to say to the gateway
            return;
        }
        ch.config().setAutoRead(true);
        ch.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                LOG.log(System.Logger.Level.WARNING, "gateway connection: the close frame (" + code + ") could not be sent ("
                        + f.cause() + "); dropping the socket");
                f.channel().close();
            }
        });
        // a zombie peer may never answer: drop the socket regardless after a while
        ch.eventLoop().schedule(() -> {
            if (ch.isOpen()) {
                LOG.log(System.Logger.Level.DEBUG, "gateway connection: no answer to the close frame (" + code + ") within "
                        + CLOSE_ANSWER_MS + " ms; dropping the socket");
                ch.close();
            }
        }, CLOSE_ANSWER_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** True until the socket is closed: after {@link #close}, until the gateway answered (or the wait ran out). */
    boolean isOpen() {
        Channel ch = channel;
        return ch == null ? !reported : ch.isOpen();
    }

    /**
     * The transport's state for a log line (any thread): whether the socket is open, whether it is read, what the
     * shard has not processed yet, whether a close frame went out or came in. A shard that waits in vain logs it.
     */
    String describe() {
        Channel ch = channel;
        if (ch == null) {
            return reported ? "never connected" : "still connecting";
        }
        return (ch.isActive() ? "socket " + ch.localAddress() + " open" : "socket closed")
                + (ch.config().isAutoRead() ? ", reading" : ", reading paused" + (paused ? " (by the shard)" : ""))
                + ", " + inFlight.get() + " messages in flight"
                + (closing ? ", closing" : "") + (closeCode >= 0 ? ", close code " + closeCode : "");
    }

    /**
     * Stops reading from the socket (frames already read stay queued, in order, for the shard). Any thread;
     * the switch happens on the event loop. TCP then holds the gateway back; heartbeats are still sent.
     */
    void pauseReading() {
        paused = true;
        Channel ch = channel;
        if (ch != null) {
            ch.eventLoop().execute(() -> updateAutoRead(ch));
        }
    }

    /** Reads from the socket again after {@link #pauseReading}. */
    void resumeReading() {
        paused = false;
        Channel ch = channel;
        if (ch != null) {
            ch.eventLoop().execute(() -> updateAutoRead(ch));
        }
    }

    /**
     * Called by the consumer after processing one message: when the backlog falls to the low mark, the socket
     * is read again. Together with the pause in the reader this carries backpressure to the gateway over TCP,
     * so a slow pipeline never buffers without bound.
     */
    void processed() {
        if (inFlight.decrementAndGet() == LOW_MARK) {
            Channel ch = channel;
            if (ch != null) {
                ch.eventLoop().execute(() -> updateAutoRead(ch));
            }
        }
    }

    /**
     * Pauses or resumes reading from the backlog as it is now. Event loop only: deciding both ways on one
     * thread from the current count means a pause can never land after the resume that should follow it
     * (a pause decided on the reader and a resume on the consumer could, leaving the socket paused for good).
     */
    private void updateAutoRead(Channel ch) {
        if (closing) {
            return; // reads on, dropping, until the close answer
        }
        int backlog = inFlight.get();
        boolean pause = paused && handshaken;
        if (ch.config().isAutoRead() && (pause || backlog >= HIGH_MARK)) {
            ch.config().setAutoRead(false);
        } else if (!ch.config().isAutoRead() && !pause && backlog <= LOW_MARK) {
            ch.config().setAutoRead(true);
        }
    }

    private void reportClosed() {
        if (!reported) {
            reported = true;
            listener.closed(this, closeCode, closeReason);
        }
    }

    private final class Inbound extends SimpleChannelInboundHandler<WebSocketFrame> {
        Inbound() {
            super(false);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                handshaken = true;
                updateAutoRead(ctx.channel());
                listener.opened(GatewayConnection.this);
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                closeReason = "WebSocket handshake timed out";
                ctx.close();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            long now = System.nanoTime();
            if (closing && !(frame instanceof CloseWebSocketFrame)) {
                frame.release(); // after our close frame: the shard takes nothing more from this connection
                return;
            }
            if (frame instanceof BinaryWebSocketFrame || frame instanceof TextWebSocketFrame) {
                if (inFlight.incrementAndGet() >= HIGH_MARK) {
                    updateAutoRead(ctx.channel());
                }
                listener.message(GatewayConnection.this, frame.content(), frame instanceof BinaryWebSocketFrame, now);
                return;
            }
            if (frame instanceof CloseWebSocketFrame close) {
                if (closeCode < 0) {
                    closeCode = close.statusCode();
                    closeReason = close.reasonText();
                }
                if (closing) {
                    ctx.close(); // the answer to our close frame: nothing follows it, nothing is left unread
                } else {
                    closing = true;
                    ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode(), "")).addListener(ChannelFutureListener.CLOSE);
                }
            }
            frame.release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (closeReason.isEmpty()) {
                closeReason = cause.toString();
            }
            ctx.close();
        }
    }
}
