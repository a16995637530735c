package dev.gatehouse.sim;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client written against RFC 6455 on a plain socket, so tests see the frames themselves: which
 * opcode, whether FIN is set, how many socket reads a frame took, and a frame cut short by a dropped connection.
 * Messages come as sent: decompressing them is the test's business.
 */
final class RawGatewaySocket implements AutoCloseable {
    /** One frame as it came off the wire; {@code reads} counts the socket reads its bytes needed. */
    record Frame(boolean fin, int opcode, byte[] payload, int reads) {
    }

    /** One message put together from its frames ({@code text} is its bytes read as UTF-8). */
    record Message(String text, byte[] bytes, int frames, int reads) {
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private int reads;

    RawGatewaySocket(Simulator sim) throws IOException {
        this(sim, "v=10&encoding=json");
    }

    /** Connects with this query string (v, encoding, compress). */
    RawGatewaySocket(Simulator sim, String query) throws IOException {
        socket = new Socket("127.0.0.1", sim.port());
        socket.setSoTimeout(20_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        out.write(("GET /?" + query + " HTTP/1.1\r\nHost: 127.0.0.1:" + sim.port() + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce)
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the simulator closed during the handshake: " + head);
            }
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + head);
        }
    }

    /** Sends one masked text frame, as a client must. */
    void send(String json) throws IOException {
        byte[] p = json.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x81);
        if (p.length < 126) {
            f.write(0x80 | p.length);
        } else {
            f.write(0x80 | 126);
            f.write(p.length >>> 8);
            f.write(p.length & 0xFF);
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.write(mask);
        for (int i = 0; i < p.length; i++) {
            f.write(p[i] ^ mask[i & 3]);
        }
        out.write(f.toByteArray());
        out.flush();
    }

    /**
     * The next frame.
     *
     * @throws EOFException when the connection ends; its message says whether it ended inside a frame
     */
    Frame nextFrame() throws IOException {
        reads = 0;
        byte[] h = readFully(2, "between frames");
        int len = h[1] & 0x7F;
        if (len == 126) {
            byte[] l = readFully(2, "inside a frame header");
            len = ((l[0] & 0xFF) << 8) | (l[1] & 0xFF);
        } else if (len == 127) {
            byte[] l = readFully(8, "inside a frame header");
            len = (int) java.nio.ByteBuffer.wrap(l).getLong();
        }
        byte[] payload = readFully(len, "inside a frame");
        return new Frame((h[0] & 0x80) != 0, h[0] & 0x0F, payload, reads);
    }

    /** The next data message, its fragments put together; close frames end it with an EOFException naming the code. */
    Message nextMessage() throws IOException {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        int frames = 0;
        int totalReads = 0;
        while (true) {
            Frame f = nextFrame();
            if (f.opcode() == 0x8) {
                int code = f.payload().length >= 2 ? ((f.payload()[0] & 0xFF) << 8) | (f.payload()[1] & 0xFF) : -1;
                throw new EOFException("close frame " + code);
            }
            if (frames > 0 && f.opcode() != 0x0) {
                throw new IOException("a new message (opcode " + f.opcode() + ") began before the fragmented one ended");
            }
            frames++;
            totalReads += f.reads();
            m.write(f.payload());
            if (f.fin()) {
                return new Message(m.toString(StandardCharsets.UTF_8), m.toByteArray(), frames, totalReads);
            }
        }
    }

    private byte[] readFully(int n, String where) throws IOException {
        byte[] b = new byte[n];
        int got = 0;
        while (got < n) {
            int r = in.read(b, got, n - got);
            if (r < 0) {
                throw new EOFException("connection ended " + where + (got > 0 || !where.equals("between frames")
                        ? " after " + got + " of " + n + " bytes" : ""));
            }
            reads++;
            got += r;
        }
        return b;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
