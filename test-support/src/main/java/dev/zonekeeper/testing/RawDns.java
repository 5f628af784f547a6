package dev.zonekeeper.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;

/** One DNS message sent as raw bytes and one response read back, over UDP or TCP, with a 5 s timeout. */
public final class RawDns {
    private static final int TIMEOUT_MILLIS = 5000;

    private RawDns() {}

    /** Sends {@code query} in one datagram from a loopback port and returns the first datagram back. */
    public static byte[] udp(InetSocketAddress server, byte[] query) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            socket.connect(server);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.send(new DatagramPacket(query, query.length));
            byte[] buf = new byte[65535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            socket.receive(p);
            return Arrays.copyOf(buf, p.getLength());
        }
    }

    /** Sends {@code query} with its two-byte length on a new connection and returns the first response. */
    public static byte[] tcp(InetSocketAddress server, byte[] query) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server, TIMEOUT_MILLIS);
            s.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {(byte) (query.length >>> 8), (byte) query.length});
            out.write(query);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] b = new byte[in.readUnsignedShort()];
            in.readFully(b);
            return b;
        }
    }
}
