package dev.gatehouse;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fixed ports for tests that must name a port before a server binds it ({@code --api.port}, a PostgreSQL restarted
 * on the port it had). A port picked by binding port 0 is an ephemeral one: between the pick and the server's
 * bind, any outgoing connection of the machine (JDBC, HTTP clients, another surefire fork) may be given it. These
 * ports come from below the ephemeral range instead, from a block of its own for each surefire fork
 * ({@code gatehouse.testFork}, set by the pom), and each is checked free before it is handed out.
 */
public final class TestPorts {
    private static final int FIRST = 20_000;
    private static final int PER_FORK = 1_000;
    private static final int FORKS = 10;
    private static final AtomicInteger NEXT = new AtomicInteger();

    private TestPorts() {
    }

    /** A port of this fork's block that nobody listens on right now. */
    public static int free() {
        int base = FIRST + PER_FORK * (fork() % FORKS);
        for (int tries = 0; tries < PER_FORK; tries++) {
            int port = base + Math.floorMod(NEXT.getAndIncrement(), PER_FORK);
            if (bindable(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port in " + base + ".." + (base + PER_FORK - 1) + " (surefire fork " + fork() + ")");
    }

    private static int fork() {
        String fork = System.getProperty("gatehouse.testFork", "1");
        try {
            return Integer.parseInt(fork.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("gatehouse.testFork must be a fork number, got '" + fork + "'", e);
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false); // a port with connections in TIME_WAIT is skipped, not handed out
            s.bind(new InetSocketAddress("0.0.0.0", port));
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}
