package dev.zonekeeper.e2e.bench;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.concurrent.ThreadLocalRandom;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;
import org.xbill.DNS.WireParseException;

/**
 * Asks one DNS server single questions over UDP, as fast as a benchmark poll loop needs: a connected socket, the
 * query encoded once by dnsjava with only its ID changed per send, the answer parsed by dnsjava. Not thread-safe: one
 * probe per polling thread.
 */
final class DnsProbe implements Closeable {

    private final InetSocketAddress server;
    private final DatagramSocket socket;
    private final byte[] in = new byte[65535];
    private final DatagramPacket reply = new DatagramPacket(in, in.length);
    private long sent;
    private long lost;

    DnsProbe(InetSocketAddress server, int timeoutMillis) throws IOException {
        this.server = server;
        this.socket = new DatagramSocket(new InetSocketAddress(server.getAddress(), 0));
        socket.connect(server);
        socket.setSoTimeout(timeoutMillis);
    }

    /** A prepared question: the query's wire form, whose first two bytes (the ID) change on every send. */
    static final class Question {
        final Name name;
        final int type;
        final byte[] wire;

        Question(Name name, int type) {
            this.name = name;
            this.type = type;
            Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(name, type, DClass.IN));
            this.wire = q.toWire();
        }

        @Override
        public String toString() {
            return name + "/" + Type.string(type);
        }
    }

    /** Sends the question once; the answer, or null if none came within the timeout. */
    Message ask(Question question) throws IOException {
        byte[] out = question.wire.clone();
        int id = ThreadLocalRandom.current().nextInt(0x10000);
        out[0] = (byte) (id >>> 8);
        out[1] = (byte) id;
        socket.send(new DatagramPacket(out, out.length));
        sent++;
        while (true) {
            try {
                reply.setData(in);
                socket.receive(reply);
            } catch (SocketTimeoutException e) {
                lost++;
                return null;
            }
            if (reply.getLength() < 12 || (((in[0] & 0xff) << 8) | (in[1] & 0xff)) != id) {
                continue; // a late answer to an earlier, timed-out query
            }
            byte[] copy = new byte[reply.getLength()];
            System.arraycopy(in, 0, copy, 0, copy.length);
            try {
                return new Message(copy);
            } catch (WireParseException e) {
                throw new IOException(
                        server + " sent an answer dnsjava cannot parse for " + question + ": " + e.getMessage(), e);
            }
        }
    }

    long sent() {
        return sent;
    }

    long lost() {
        return lost;
    }

    InetSocketAddress server() {
        return server;
    }

    @Override
    public void close() {
        socket.close();
    }
}
