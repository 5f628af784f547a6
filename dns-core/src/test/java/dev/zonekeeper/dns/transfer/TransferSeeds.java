package dev.zonekeeper.dns.transfer;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Well-formed primary answers for {@link TransferFuzzTest}: its good first AXFR, and the seeds of its corpus.
 * {@code main(dir)} writes the seeds (with the case byte in front).
 */
final class TransferSeeds {
    private static final Name ORIGIN = TransferFuzzTest.ORIGIN;

    private TransferSeeds() {}

    static SOARecord soa(long serial) {
        return new SOARecord(
                ORIGIN,
                DClass.IN,
                60,
                Name.fromConstantString("ns.example.test."),
                Name.fromConstantString("hostmaster.example.test."),
                serial,
                7200,
                1800,
                86400,
                60);
    }

    static List<org.xbill.DNS.Record> zone(long serial) {
        List<org.xbill.DNS.Record> records = new ArrayList<>();
        records.add(soa(serial));
        records.add(new NSRecord(ORIGIN, DClass.IN, 60, Name.fromConstantString("ns.example.test.")));
        records.add(new ARecord(Name.fromConstantString("ns.example.test."), DClass.IN, 60, address(53)));
        records.add(new ARecord(Name.fromConstantString("www.example.test."), DClass.IN, 60, address(1)));
        return records;
    }

    static byte[] goodAxfrStream(long serial) {
        List<org.xbill.DNS.Record> all = new ArrayList<>(zone(serial));
        all.add(soa(serial));
        return frames(message(Type.AXFR, all));
    }

    static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        List<org.xbill.DNS.Record> axfr = new ArrayList<>(zone(1));
        axfr.add(soa(1));
        write(dir, "axfr-one-message", 0, frames(message(Type.AXFR, axfr)));
        write(
                dir,
                "axfr-two-messages",
                0,
                frames(message(Type.AXFR, axfr.subList(0, 2)), message(Type.AXFR, axfr.subList(2, axfr.size()))));
        Message refused = message(Type.AXFR, List.of());
        refused.getHeader().setRcode(Rcode.REFUSED);
        write(dir, "axfr-refused", 0, frames(refused));
        write(dir, "axfr-no-closing-soa", 0, frames(message(Type.AXFR, zone(1))));
        List<org.xbill.DNS.Record> ixfr = new ArrayList<>();
        ixfr.add(soa(2));
        ixfr.add(soa(1));
        ixfr.add(new ARecord(Name.fromConstantString("www.example.test."), DClass.IN, 60, address(1)));
        ixfr.add(soa(2));
        ixfr.add(new ARecord(Name.fromConstantString("www.example.test."), DClass.IN, 60, address(2)));
        ixfr.add(soa(2));
        write(dir, "ixfr-one-delta", 1, frames(message(Type.IXFR, ixfr)));
        write(dir, "ixfr-current", 1, frames(message(Type.IXFR, List.of(soa(1)))));
        List<org.xbill.DNS.Record> full = new ArrayList<>(zone(3));
        full.add(soa(3));
        write(dir, "ixfr-answered-by-axfr", 1, frames(message(Type.IXFR, full)));
        write(dir, "ixfr-truncated", 1, java.util.Arrays.copyOf(frames(message(Type.IXFR, ixfr)), 40));
    }

    private static void write(Path dir, String name, int mode, byte[] stream) throws IOException {
        byte[] out = new byte[stream.length + 1];
        out[0] = (byte) mode;
        System.arraycopy(stream, 0, out, 1, stream.length);
        Files.write(dir.resolve(name), out);
    }

    private static Message message(int qtype, List<org.xbill.DNS.Record> answer) {
        Message m = new Message(0);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.AA);
        m.addRecord(org.xbill.DNS.Record.newRecord(ORIGIN, qtype, DClass.IN), Section.QUESTION);
        for (org.xbill.DNS.Record r : answer) {
            m.addRecord(r, Section.ANSWER);
        }
        return m;
    }

    static byte[] frames(Message... messages) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            for (Message m : messages) {
                byte[] wire = m.toWire();
                out.writeShort(wire.length);
                out.write(wire);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static java.net.InetAddress address(int last) {
        try {
            return java.net.InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
