package dev.zonekeeper.dns.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Loopback addresses for tests, and the {@code HOST:PORT} form the command line takes. */
public final class Loopback {
    private Loopback() {}

    public static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** {@code HOST:PORT}, as {@code --listen}, {@code --upstream} and {@code --primary} take it. */
    public static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** A loopback UDP port with nothing behind it. */
    public static InetSocketAddress unusedPort() {
        try (DatagramSocket s = new DatagramSocket(loopback(0))) {
            return loopback(s.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
