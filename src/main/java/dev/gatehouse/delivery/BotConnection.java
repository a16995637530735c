package dev.gatehouse.delivery;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection to a plain-http bot, used by one lane at a time: writes a request and reads
 * its answer on the caller's thread (a non-blocking channel and a selector of its own, so the connect, the
 * request's write and the answer all end at one deadline), with no thread hand-off, future or per-request
 * object graph: a POST costs its two system calls and the parse of the answer's head. Bodies are delimited by
 * {@code Content-Length} or chunked; an answer delimited by the end of the connection, an HTTP/1.0 answer
 * without keep-alive, or {@code Connection: close} ends the connection after it.
 *
 * <p>The request's head is the caller's (it carries the secret); nothing of it ever goes into an exception's
 * message.
 */
final class BotConnection implements AutoCloseable {
    /** The longest answer head (status line and headers) read. */
    static final int MAX_HEAD = 64 * 1024;

    /** What the bot answered: its status, the headers {@link BotClient} reads, and the body kept (UTF-8 text). */
    record Reply(int status, String batch, String retryAfter, String body) {
    }

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private ByteBuffer in = ByteBuffer.allocate(8 * 1024); // bytes read and not yet parsed: [position, limit)
    private boolean open = true;
    /** The one byte {@link #reusable} reads to see whether the bot closed the idle connection. */
    private final ByteBuffer probe = ByteBuffer.allocate(1);
    /** Whether the current exchange has read any byte of the answer. */
    private boolean answered;
    /** Whether the next {@link #fill} waits for the socket before it reads (just after the request went out). */
    private boolean waitFirst;

    private BotConnection(SocketChannel channel, Selector selector, SelectionKey key) {
        this.channel = channel;
        this.selector = selector;
        this.key = key;
        in.flip();
    }

    /** Connects to {@code host:port}, by {@code deadline} ({@link System#nanoTime}); a connect still pending then fails. */
    static BotConnection open(String host, int port, long deadline) throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new UnknownHostException(host);
        }
        SocketChannel ch = SocketChannel.open();
        Selector sel = null;
        try {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            sel = Selector.open();
            SelectionKey k = ch.register(sel, 0);
            BotConnection c = new BotConnection(ch, sel, k);
            if (!ch.connect(address)) {
                c.await(SelectionKey.OP_CONNECT, deadline);
                ch.finishConnect();
            }
            return c;
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (sel != null) {
                sel.close();
            }
            throw e;
        }
    }

    /**
     * Sends {@code head} then {@code body} and reads the answer, all by {@code deadline}; keeps up to {@code keepBody}
     * bytes of a non-2xx answer's body (the rest, and a 2xx answer's whole body, is read and dropped). Throws {@link Timeout} at the deadline and
     * {@link IOException} for what the network or the bot's bytes do; the connection is then closed.
     */
    Reply exchange(byte[] head, byte[] body, long deadline, int keepBody) throws IOException {
        answered = false;
        waitFirst = false;
        try {
            Reply early;
            try {
                early = write(ByteBuffer.wrap(head), ByteBuffer.wrap(body), deadline, keepBody);
            } catch (Timeout | EarlySuccess e) {
                throw e;
            } catch (IOException e) {
                // the bot may have refused early (a 413 for a body past its limit) and closed before reading the rest:
                // its refusal is in our receive buffer, and it is the bot's word, not a network failure
                Reply refusal = earlyRefusal(deadline, keepBody);
                if (refusal == null) {
                    throw e;
                }
                close();
                return refusal;
            }
            if (early != null) {
                close(); // answered before the request was all sent: the connection's state is the bot's guess
                return early;
            }
            // the answer is rarely there yet (unless read into the buffer already): the first read waits for it first,
            // one system call less per POST than a read that finds nothing before the wait
            waitFirst = !in.hasRemaining();
            return answer(deadline, keepBody);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** A 2xx came before the whole body was sent, and then the bot stopped taking the rest: not a delivery. */
    static final class EarlySuccess extends IOException {
        EarlySuccess(int status, IOException cause) {
            super("the bot answered " + status + " before it had read the whole request, then stopped reading it ("
                    + cause.getMessage() + "): not delivered", cause);
        }
    }

    private Reply answer(long deadline, int keepBody) throws IOException {
        Reply r;
        do { // a 1xx answer (100 Continue, 103 Early Hints) comes before the real one
            r = readAnswer(deadline, keepBody);
        } while (r.status() >= 100 && r.status() < 200);
        return r;
    }

    /**
     * The refusal (any final answer but a 2xx) the bot sent before a write failed, if a whole one had arrived by then;
     * else null. A 2xx there is not a delivery: the bot never had the whole body.
     */
    private Reply earlyRefusal(long deadline, int keepBody) {
        try {
            Reply r = answer(Math.min(deadline, System.nanoTime() + EARLY_ANSWER_NANOS), keepBody);
            return r.status() >= 200 && r.status() < 300 ? null : r;
        } catch (IOException | RuntimeException none) {
            return null;
        }
    }

    /** How long a failed write waits for the rest of an answer the bot sent early. */
    private static final long EARLY_ANSWER_NANOS = 1_000_000_000L;

    /**
     * Whether the last exchange read no byte of an answer: a kept-alive connection the bot closed just as the request
     * went out (after the check before use) fails that way, and the request can go again on a new connection.
     */
    boolean answeredNothing() {
        return !answered;
    }

    /** Whether the connection is still open after its last answer (not closed by it or by an error). */
    boolean isOpen() {
        return open;
    }

    /** Whether the connection can carry another request: open, and (read without waiting) not closed by the bot. */
    boolean reusable() {
        if (!open) {
            return false;
        }
        if (in.hasRemaining()) { // bytes the bot sent after its answer: nothing to pair them with
            close();
            return false;
        }
        try {
            probe.clear();
            if (channel.read(probe) != 0) { // -1: the bot closed it while idle; > 0: unasked-for bytes
                close();
                return false;
            }
            return true;
        } catch (IOException e) {
            close();
            return false;
        }
    }

    @Override
    public void close() {
        open = false;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing: nothing to do about it
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing: nothing to do about it
        }
    }

    /** The deadline passed before the bot answered. */
    static final class Timeout extends IOException {
        Timeout() {
            super("no answer by the deadline");
        }
    }

    /**
     * Writes the request. Returns null once it is all written and nothing but 1xx came meanwhile, or the bot's final
     * answer when it answered before taking all of it: a refusal (it stopped reading: a body past its limit) at once;
     * a 2xx only once the rest is written too (some bots answer first and read the body after), and when the bot then
     * stops taking the rest, an {@link EarlySuccess}: the events did not arrive.
     */
    private Reply write(ByteBuffer head, ByteBuffer body, long deadline, int keepBody) throws IOException {
        ByteBuffer[] both = {head, body};
        Reply success = null;
        try {
            while (body.hasRemaining() || head.hasRemaining()) {
                if (channel.write(both) == 0) {
                    // the bot reads slower than we write (its buffers are full), or it answers
                    int ops = success == null ? SelectionKey.OP_WRITE | SelectionKey.OP_READ : SelectionKey.OP_WRITE;
                    if (await(ops, deadline) == SelectionKey.OP_READ) {
                        Reply r = readAnswer(deadline, keepBody);
                        if (r.status() >= 300) {
                            return r;
                        }
                        if (r.status() >= 200) {
                            success = r;
                        } // a 1xx: the bot goes on reading
                    }
                }
            }
        } catch (Timeout e) {
            throw e;
        } catch (IOException e) {
            if (success != null) {
                throw new EarlySuccess(success.status(), e);
            }
            throw e;
        }
        return success;
    }

    private Reply readAnswer(long deadline, int keepBody) throws IOException {
        String statusLine = line(deadline);
        int status = statusOf(statusLine);
        boolean http10 = statusLine.startsWith("HTTP/1.0");
        String batch = "", retryAfter = "", transfer = "", connection = "";
        long length = -1;
        int headBytes = statusLine.length();
        for (String h = line(deadline); !h.isEmpty(); h = line(deadline)) {
            headBytes += h.length();
            if (headBytes > MAX_HEAD) {
                throw new IOException("the bot's answer has more than " + MAX_HEAD + " bytes of headers");
            }
            int colon = h.indexOf(':');
            if (colon <= 0) {
                continue; // not a header: ignored, as lenient clients do
            }
            String name = h.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).strip();
            switch (name) {
                case "gatehouse-batch" -> batch = batch.isEmpty() ? value : batch;
                case "retry-after" -> retryAfter = retryAfter.isEmpty() ? value : retryAfter;
                case "transfer-encoding" -> transfer = value.toLowerCase(Locale.ROOT);
                case "connection" -> connection = value.toLowerCase(Locale.ROOT);
                case "content-length" -> {
                    long l = lengthOf(value);
                    if (length >= 0 && l != length) {
                        throw new IOException("the bot's answer has two different Content-Length headers (" + length + ", " + l + ")");
                    }
                    length = l;
                }
                default -> { }
            }
        }
        ByteBuffer kept = ByteBuffer.allocate(status >= 200 && status < 300 ? 0 : keepBody); // a 2xx body is dropped
        boolean delimited = true;
        if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
            // no body
        } else if (transfer.contains("chunked")) {
            chunked(kept, deadline);
        } else if (length >= 0) {
            body(length, kept, deadline);
        } else {
            body(Long.MAX_VALUE, kept, deadline); // until the bot closes the connection
            delimited = false;
        }
        if (!delimited || connection.contains("close") || (http10 && !connection.contains("keep-alive"))) {
            close();
        }
        return new Reply(status, batch, retryAfter, new String(kept.array(), 0, kept.position(), StandardCharsets.UTF_8));
    }

    private void chunked(ByteBuffer kept, long deadline) throws IOException {
        while (true) {
            String size = line(deadline);
            int ext = size.indexOf(';');
            long n;
            try {
                n = Long.parseLong((ext < 0 ? size : size.substring(0, ext)).strip(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("the bot's chunked answer has a bad chunk size '" + printable(size) + "'");
            }
            if (n < 0) {
                throw new IOException("the bot's chunked answer has a negative chunk size");
            }
            if (n == 0) {
                while (!line(deadline).isEmpty()) {
                    // trailers: ignored
                }
                return;
            }
            body(n, kept, deadline);
            if (!line(deadline).isEmpty()) {
                throw new IOException("the bot's chunked answer has no line end after a chunk");
            }
        }
    }

    /** Reads {@code n} body bytes (or up to the end of the stream when {@code n} is Long.MAX_VALUE), keeping what fits. */
    private void body(long n, ByteBuffer kept, long deadline) throws IOException {
        long left = n;
        while (left > 0) {
            if (!in.hasRemaining() && !fill(deadline, n == Long.MAX_VALUE)) {
                return; // the end of a body delimited by the connection's end
            }
            int take = (int) Math.min(left, in.remaining());
            int keep = Math.min(take, kept.remaining());
            if (keep > 0) {
                kept.put(kept.position(), in, in.position(), keep);
                kept.position(kept.position() + keep);
            }
            in.position(in.position() + take);
            left -= take;
        }
    }

    /** The next line of the answer's head, without its CRLF (or bare LF). */
    private String line(long deadline) throws IOException {
        while (true) {
            for (int i = in.position(); i < in.limit(); i++) {
                if (in.get(i) == '\n') {
                    int end = i > in.position() && in.get(i - 1) == '\r' ? i - 1 : i;
                    String s = new String(in.array(), in.arrayOffset() + in.position(), end - in.position(), StandardCharsets.ISO_8859_1);
                    in.position(i + 1);
                    return s;
                }
            }
            if (in.remaining() >= MAX_HEAD) {
                throw new IOException("the bot's answer has a line longer than " + MAX_HEAD + " bytes");
            }
            fill(deadline, false);
        }
    }

    /**
     * Reads more bytes into {@code in}, waiting for them up to the deadline; false at the end of the stream when
     * {@code endOk}, else an {@link EOFException}.
     */
    private boolean fill(long deadline, boolean endOk) throws IOException {
        in.compact(); // now in write mode
        if (!in.hasRemaining()) {
            ByteBuffer bigger = ByteBuffer.allocate(in.capacity() * 2);
            in.flip();
            bigger.put(in);
            in = bigger;
        }
        try {
            if (waitFirst) {
                waitFirst = false;
                await(SelectionKey.OP_READ, deadline);
            }
            while (true) {
                int n = channel.read(in);
                if (n > 0) {
                    answered = true;
                    return true;
                }
                if (n < 0) {
                    if (endOk) {
                        return false;
                    }
                    throw new EOFException("the bot closed the connection before its answer was complete");
                }
                await(SelectionKey.OP_READ, deadline);
            }
        } finally {
            in.flip();
        }
    }

    /**
     * Waits until one of {@code ops} is ready; returns the ready ones among them (writable wins over readable). The
     * interest stays set afterwards (no one selects between two waits, and the next wait is nearly always for an answer
     * again): the selector then has nothing to change before it waits.
     */
    private int await(int ops, long deadline) throws IOException {
        if (key.interestOps() != ops) {
            key.interestOps(ops);
        }
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0 && ops != SelectionKey.OP_READ) {
                throw new Timeout();
            }
            // waiting for the answer past the deadline, one look that does not wait: an answer already in the kernel's
            // buffer is taken, not timed out (the batch would be held and sent again: a duplicate for the bot)
            if (left <= 0 ? selector.selectNow() > 0 : selector.select(Math.max(1, left / 1_000_000)) > 0) {
                selector.selectedKeys().clear();
                int ready = key.readyOps() & ops;
                if (ready != 0) {
                    return (ready & SelectionKey.OP_WRITE) != 0 ? SelectionKey.OP_WRITE : ready;
                }
            }
            if (left <= 0) {
                throw new Timeout();
            }
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for the bot");
            }
        }
    }

    private static int statusOf(String line) throws IOException {
        // HTTP/1.1 204 No Content
        if (line.startsWith("HTTP/1.") && line.length() >= 12 && line.charAt(8) == ' ') {
            String code = line.substring(9, 12);
            if (code.chars().allMatch(Character::isDigit) && (line.length() == 12 || line.charAt(12) == ' ')) {
                return Integer.parseInt(code);
            }
        }
        throw new IOException("the bot's answer does not start with an HTTP/1.x status line: '" + printable(line) + "'");
    }

    private static long lengthOf(String value) throws IOException {
        if (value.isEmpty() || value.length() > 18 || !value.chars().allMatch(Character::isDigit)) {
            throw new IOException("the bot's answer has a bad Content-Length '" + printable(value) + "'");
        }
        return Long.parseLong(value);
    }

    /** At most 60 characters of the bot's bytes, control characters as '?', for an error message. */
    private static String printable(String s) {
        String t = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
