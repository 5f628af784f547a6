package dev.zonekeeper.dns.forward;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;

/**
 * A hostile upstream for tests: a UDP socket and a TCP listener on one loopback address and port, answering each
 * query with whatever bytes {@link Responder} makes (null: no answer, the query goes unanswered).
 */
public final class FakeUpstream implements AutoCloseable {

    /** The bytes to answer {@code query} with over {@code tcp} (or UDP), or null for no answer. */
    public interface Responder {
        byte[] respond(Message query, boolean tcp) throws Exception;
    }

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Responder responder;
    private final AtomicInteger udpQueries = new AtomicInteger();
    private final AtomicInteger tcpQueries = new AtomicInteger();
    private volatile boolean closed;

    public FakeUpstream(String host, Responder responder) throws IOException {
        this.responder = responder;
        this.udp = new DatagramSocket(new InetSocketAddress(host, 0));
        this.tcp = new ServerSocket();
        tcp.bind(new InetSocketAddress(host, udp.getLocalPort()));
        Thread u = new Thread(this::serveUdp, "fake-upstream-udp");
        u.setDaemon(true);
        u.start();
        Thread t = new Thread(this::serveTcp, "fake-upstream-tcp");
        t.setDaemon(true);
        t.start();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) udp.getLocalSocketAddress();
    }

    public int udpQueries() {
        return udpQueries.get();
    }

    public int tcpQueries() {
        return tcpQueries.get();
    }

    private void serveUdp() {
        byte[] buf = new byte[65535];
        while (!closed) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                udpQueries.incrementAndGet();
                Message query = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                byte[] answer = responder.respond(query, false);
                if (answer != null) {
                    udp.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                }
            } catch (Exception e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serveTcp() {
        while (!closed) {
            try {
                Socket s = tcp.accept();
                Thread t = new Thread(() -> serveConnection(s), "fake-upstream-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serveConnection(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (true) {
                byte[] wire = new byte[in.readUnsignedShort()];
                in.readFully(wire);
                tcpQueries.incrementAndGet();
                byte[] answer = responder.respond(new Message(wire), true);
                if (answer != null) {
                    out.writeShort(answer.length);
                    out.write(answer);
                    out.flush();
                }
            }
        } catch (Exception e) {
            // connection over
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        udp.close();
        tcp.close();
    }

    // ---- building answers

    /** A response header and question for {@code query}: its ID, QR, RA, RD. */
    public static Message reply(Message query) {
        Message m = new Message(query.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        m.getHeader().setFlag(Flags.RD);
        m.addRecord(query.getQuestion(), Section.QUESTION);
        return m;
    }

    /**
     * The wire form of {@code reply} with one more answer record appended as raw bytes: owner a compression pointer
     * to the question name, {@code type}, class IN, TTL 300 and {@code rdata} as given (so dnsjava's writer cannot
     * normalise what a hostile upstream sends).
     */
    public static byte[] withRawAnswer(Message reply, int type, byte[] rdata) {
        byte[] head = reply.toWire();
        int an = ((head[6] & 0xFF) << 8 | (head[7] & 0xFF)) + 1;
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(head);
        b.write(0xC0);
        b.write(12);
        b.write(type >>> 8);
        b.write(type);
        b.write(0);
        b.write(1);
        b.writeBytes(new byte[] {0, 0, 1, 44});
        b.write(rdata.length >>> 8);
        b.write(rdata.length);
        b.writeBytes(rdata);
        byte[] wire = b.toByteArray();
        wire[6] = (byte) (an >>> 8);
        wire[7] = (byte) an;
        return wire;
    }
}
