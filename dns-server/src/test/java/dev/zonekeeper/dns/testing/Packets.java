package dev.zonekeeper.dns.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;

/** Hand-made DNS packets for bad-input tests: a tiny writer over raw bytes, and a seeded mutator of valid queries. */
public final class Packets {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private Packets() {}

    /** Starts a packet with a 12-byte header. */
    public static Packets header(int id, int flags, int qd, int an, int ns, int ar) {
        return new Packets().u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
    }

    public Packets u8(int v) {
        out.write(v & 0xFF);
        return this;
    }

    public Packets u16(int v) {
        return u8(v >>> 8).u8(v);
    }

    public Packets u32(long v) {
        return u16((int) (v >>> 16)).u16((int) v);
    }

    public Packets bytes(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    /** A name in uncompressed wire form, e.g. {@code www.example.test}. */
    public Packets name(String dotted) {
        for (String label : dotted.split("\\.")) {
            if (!label.isEmpty()) {
                u8(label.length());
                bytes(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
        return u8(0);
    }

    /** A question entry: name, type, class. */
    public Packets question(String name, int type, int dclass) {
        return name(name).u16(type).u16(dclass);
    }

    /** An EDNS0 OPT pseudo-record with no options. */
    public Packets opt(int udpSize, int version) {
        return u8(0).u16(41).u16(udpSize).u8(0).u8(version).u16(0).u16(0);
    }

    public byte[] build() {
        return out.toByteArray();
    }

    /** A well-formed query as dnsjava writes it, optionally with EDNS0. */
    public static byte[] query(int id, String name, int type, boolean edns) {
        try {
            org.xbill.DNS.Record q = org.xbill.DNS.Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN);
            Message m = Message.newQuery(q);
            m.getHeader().setID(id);
            if (edns) {
                m.addRecord(new OPTRecord(1232, 0, 0, 0), Section.ADDITIONAL);
            }
            return m.toWire();
        } catch (TextParseException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }

    /** Reads the big-endian unsigned 16-bit value at {@code i}, or -1 when the packet is too short. */
    public static int u16(byte[] b, int i) {
        return b.length < i + 2 ? -1 : ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }

    /**
     * Makes bad packets from good ones: bit flips, truncation, lying counts, compression pointers (loops
     * included), over-long labels and names, wrong opcodes/classes/QR, trailing junk, and plain random bytes.
     */
    public static final class Mutator {
        private static final String[] NAMES = {
            "www.example.test",
            "WwW.ExAmPlE.tEsT",
            "app.example.test",
            "x.apps.example.test",
            "lab.example.test",
            "host.lab.example.test",
            "nothing.example.test",
            "example.test",
            "10.2.0.192.in-addr.arpa",
            "elsewhere.invalid",
            "a.b.c.d.e.f.g.h.example.test",
            "_sip._tcp.example.test",
            "info.example.test",
            "default._domainkey.example.test"
        };
        private static final int[] TYPES = {1, 28, 5, 15, 16, 33, 2, 6, 12, 257, 255, 252, 251, 41, 0, 65, 99, 65535};
        private final SplittableRandom random;

        public Mutator(SplittableRandom random) {
            this.random = random;
        }

        /** A valid query with a random name, type, EDNS and ID. */
        public byte[] valid() {
            return query(
                    random.nextInt(65536),
                    NAMES[random.nextInt(NAMES.length)],
                    TYPES[random.nextInt(TYPES.length)],
                    random.nextBoolean());
        }

        /** One packet: usually a valid query with one to three mutations, sometimes random bytes. */
        public byte[] next() {
            if (random.nextInt(20) == 0) {
                byte[] b = new byte[random.nextInt(0, 600)];
                random.nextBytes(b);
                return b;
            }
            byte[] p = valid();
            int roll = random.nextInt(20);
            int mutations = roll == 0 ? 0 : roll < 14 ? 1 : random.nextInt(2, 4);
            for (int i = 0; i < mutations; i++) {
                p = mutate(p);
            }
            return p;
        }

        private byte[] mutate(byte[] p) {
            switch (random.nextInt(11)) {
                case 0: { // bit flips
                    byte[] b = p.clone();
                    int flips = random.nextInt(1, 9);
                    for (int i = 0; i < flips && b.length > 0; i++) {
                        b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                    }
                    return b;
                }
                case 1: // truncation
                    return java.util.Arrays.copyOf(p, random.nextInt(p.length + 1));
                case 2: { // a count that lies
                    if (p.length < 12) {
                        return p;
                    }
                    byte[] b = p.clone();
                    int field = 4 + 2 * random.nextInt(4);
                    int v = random.nextBoolean() ? random.nextInt(4) : random.nextInt(65536);
                    b[field] = (byte) (v >>> 8);
                    b[field + 1] = (byte) v;
                    return b;
                }
                case 3: { // a compression pointer somewhere in the question, often a loop
                    if (p.length < 14) {
                        return p;
                    }
                    byte[] b = p.clone();
                    int at = random.nextInt(12, b.length - 1);
                    int target = random.nextBoolean() ? at : random.nextInt(0, b.length + 4);
                    b[at] = (byte) (0xC0 | ((target >>> 8) & 0x3F));
                    b[at + 1] = (byte) target;
                    return b;
                }
                case 4: { // a label length of 64-255 (extended label types, over 63)
                    if (p.length < 13) {
                        return p;
                    }
                    byte[] b = p.clone();
                    b[12] = (byte) random.nextInt(64, 256);
                    return b;
                }
                case 5: { // a name over 255 bytes
                    if (p.length < 12) {
                        return p;
                    }
                    Packets w = new Packets().bytes(java.util.Arrays.copyOf(p, 12));
                    int labels = random.nextInt(4, 9);
                    for (int i = 0; i < labels; i++) {
                        w.u8(63);
                        for (int j = 0; j < 63; j++) {
                            w.u8('a' + random.nextInt(26));
                        }
                    }
                    return w.u8(0).u16(1).u16(1).build();
                }
                case 6: { // opcode, QR, class or flags changed
                    if (p.length < 12) {
                        return p;
                    }
                    byte[] b = p.clone();
                    switch (random.nextInt(4)) {
                        case 0 -> b[2] = (byte) ((b[2] & 0x87) | (random.nextInt(16) << 3));
                        case 1 -> b[2] |= (byte) 0x80;
                        case 2 -> {
                            if (b.length >= 4) {
                                b[3] = (byte) random.nextInt(256);
                            }
                        }
                        default -> {
                            int end = questionEnd(b);
                            if (end > 0) {
                                int c = random.nextInt(65536);
                                b[end - 2] = (byte) (c >>> 8);
                                b[end - 1] = (byte) c;
                            }
                        }
                    }
                    return b;
                }
                case 7: { // trailing junk
                    byte[] junk = new byte[random.nextInt(1, 40)];
                    random.nextBytes(junk);
                    return new Packets().bytes(p).bytes(junk).build();
                }
                case 8: { // a byte replaced by a random one
                    if (p.length == 0) {
                        return p;
                    }
                    byte[] b = p.clone();
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                    return b;
                }
                case 9: { // an EDNS OPT record with odd fields appended, ARCOUNT raised
                    if (p.length < 12) {
                        return p;
                    }
                    Packets w = new Packets().bytes(p);
                    w.u8(random.nextInt(4) == 0 ? 1 : 0)
                            .u16(41)
                            .u16(random.nextInt(65536))
                            .u8(random.nextInt(256))
                            .u8(random.nextInt(3))
                            .u16(random.nextInt(65536));
                    int rdLength = random.nextInt(0, 12);
                    w.u16(random.nextInt(3) == 0 ? random.nextInt(65536) : rdLength);
                    byte[] rd = new byte[rdLength];
                    random.nextBytes(rd);
                    byte[] b = w.bytes(rd).build();
                    int ar = u16(b, 10) + 1;
                    b[10] = (byte) (ar >>> 8);
                    b[11] = (byte) ar;
                    return b;
                }
                default: { // random bytes of a valid query's length
                    byte[] b = new byte[p.length];
                    random.nextBytes(b);
                    return b;
                }
            }
        }

        /** The index just past the first question's type and class, or -1. */
        private static int questionEnd(byte[] b) {
            int i = 12;
            while (i < b.length) {
                int len = b[i] & 0xFF;
                if (len == 0) {
                    return i + 5 <= b.length ? i + 5 : -1;
                }
                if ((len & 0xC0) != 0) {
                    return -1;
                }
                i += 1 + len;
            }
            return -1;
        }
    }
}
