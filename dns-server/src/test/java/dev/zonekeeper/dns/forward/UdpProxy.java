package dev.zonekeeper.dns.forward;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.xbill.DNS.Message;

/**
 * A test instrument between the forwarder and a real upstream: relays UDP datagrams both ways, counts and records the
 * queries, can hold responses back (to race forged answers against the real one) and can send datagrams to a client
 * from its own address (the address the forwarder asked).
 */
final class UdpProxy implements AutoCloseable {
    private final DatagramSocket front;
    private final InetSocketAddress target;
    private final Map<InetSocketAddress, DatagramSocket> backs = new ConcurrentHashMap<>();
    private final List<Message> queries = new CopyOnWriteArrayList<>();
    private final List<InetSocketAddress> clients = new CopyOnWriteArrayList<>();
    private final List<Runnable> held = new ArrayList<>();
    private boolean holding;
    private volatile boolean closed;

    UdpProxy(InetSocketAddress listen, InetSocketAddress target) throws SocketException {
        this.front = new DatagramSocket(listen);
        this.target = target;
        Thread t = new Thread(this::relayQueries, "udp-proxy-front");
        t.setDaemon(true);
        t.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) front.getLocalSocketAddress();
    }

    /** Queries relayed so far. */
    int queryCount() {
        return queries.size();
    }

    List<Message> queries() {
        return List.copyOf(queries);
    }

    /** Source address of each relayed query, in order. */
    List<InetSocketAddress> clients() {
        return List.copyOf(clients);
    }

    /** From now on, keep upstream responses until {@link #release()}. */
    synchronized void hold() {
        holding = true;
    }

    /** Sends every held response and stops holding. */
    void release() {
        List<Runnable> toSend;
        synchronized (this) {
            holding = false;
            toSend = new ArrayList<>(held);
            held.clear();
        }
        toSend.forEach(Runnable::run);
    }

    /** Sends {@code data} to {@code client} from the proxy's own address. */
    void sendToClient(byte[] data, InetSocketAddress client) throws IOException {
        front.send(new DatagramPacket(data, data.length, client));
    }

    private void relayQueries() {
        byte[] buf = new byte[65535];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buf, buf.length);
            try {
                front.receive(packet);
                InetSocketAddress client = (InetSocketAddress) packet.getSocketAddress();
                byte[] data = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
                try {
                    queries.add(new Message(data));
                    clients.add(client);
                } catch (IOException unparsable) {
                    // relay it anyway
                }
                DatagramSocket back = backs.computeIfAbsent(client, this::openBack);
                back.send(new DatagramPacket(data, data.length, target));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private DatagramSocket openBack(InetSocketAddress client) {
        try {
            DatagramSocket back = new DatagramSocket(new InetSocketAddress(front.getLocalAddress(), 0));
            Thread t = new Thread(() -> relayResponses(back, client), "udp-proxy-back");
            t.setDaemon(true);
            t.start();
            return back;
        } catch (SocketException e) {
            throw new IllegalStateException(e);
        }
    }

    private void relayResponses(DatagramSocket back, InetSocketAddress client) {
        byte[] buf = new byte[65535];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buf, buf.length);
            try {
                back.receive(packet);
                byte[] data = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
                Runnable send = () -> {
                    try {
                        sendToClient(data, client);
                    } catch (IOException e) {
                        // client gone
                    }
                };
                synchronized (this) {
                    if (holding) {
                        held.add(send);
                        continue;
                    }
                }
                send.run();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        front.close();
        backs.values().forEach(DatagramSocket::close);
    }
}
