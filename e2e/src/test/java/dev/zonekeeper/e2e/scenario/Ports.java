package dev.zonekeeper.e2e.scenario;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free ports on loopback for the child processes (never fixed ports: other test runs share the machine). */
final class Ports {

    private Ports() {}

    /** A port free for both TCP and UDP on {@code host}. */
    static int free(String host) {
        try {
            InetAddress address = InetAddress.getByName(host);
            for (int i = 0; i < 50; i++) {
                try (ServerSocket tcp = new ServerSocket()) {
                    tcp.setReuseAddress(false);
                    tcp.bind(new InetSocketAddress(address, 0));
                    int port = tcp.getLocalPort();
                    try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(address, port))) {
                        return port;
                    } catch (IOException taken) {
                        // UDP side in use: try another
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + host, e);
        }
        throw new IllegalStateException("no port free for TCP and UDP on " + host);
    }

    static int free() {
        return free("127.0.0.1");
    }
}
