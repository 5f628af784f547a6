package dev.zonekeeper.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Relays TCP connections from a loopback port to a target, bytes only (TLS passes through untouched): an API server
 * outage is {@link #close()} (the listener and every relayed connection close, new connections are refused), its
 * end a new relay on the same port.
 */
public final class TcpRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();

    public TcpRelay(int port, InetSocketAddress target) throws IOException {
        listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        Thread accept = new Thread(
                () -> {
                    while (!listener.isClosed()) {
                        try {
                            Socket in = listener.accept();
                            Socket out = new Socket(target.getAddress(), target.getPort());
                            open.add(in);
                            open.add(out);
                            connections.incrementAndGet();
                            pump(in, out);
                            pump(out, in);
                        } catch (IOException e) {
                            return; // closed
                        }
                    }
                },
                "relay-accept");
        accept.setDaemon(true);
        accept.start();
    }

    /** A loopback port nothing listens on now (the relay opens on it later). */
    public static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    private static void pump(Socket from, Socket to) {
        Thread t = new Thread(
                () -> {
                    try {
                        from.getInputStream().transferTo(to.getOutputStream());
                    } catch (IOException e) {
                        // one side closed
                    } finally {
                        try {
                            to.shutdownOutput();
                        } catch (IOException e) {
                            // already closed
                        }
                    }
                },
                "relay-pump");
        t.setDaemon(true);
        t.start();
    }

    /** How many connections the relay has accepted. */
    public int connections() {
        return connections.get();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : open) {
            s.close();
        }
        open.clear();
    }
}
