package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.testing.ExamplesServer;
import dev.zonekeeper.dns.testing.Packets;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Issue 13 point 10: every EDNS option case and every meta-type question gets one answer, whatever the path. Each
 * case is sent over UDP and over TCP, with class IN (the fast path's shape) and class ANY (always the full path),
 * twice (the first may build the cached answer, the second is served from it): the eight rcodes must all be the
 * expected one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EdnsOptionAgreementTest {
    @RegisterExtension
    static final ExamplesServer EXAMPLES = new ExamplesServer();

    /** An EDNS option: code, then data. */
    static byte[] option(int code, byte[] data) {
        return concat(
                new byte[] {(byte) (code >>> 8), (byte) code, (byte) (data.length >>> 8), (byte) data.length}, data);
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** A query with one question and an OPT whose RDATA is {@code optRdata} (null: no OPT). */
    static byte[] query(int id, String name, int qtype, int qclass, byte[] optRdata) {
        Packets p =
                Packets.header(id, 0x0100, 1, 0, 0, optRdata == null ? 0 : 1).question(name, qtype, qclass);
        if (optRdata != null) {
            p.u8(0).u16(Type.OPT).u16(1232).u32(0).u16(optRdata.length).bytes(optRdata);
        }
        return p.build();
    }

    static Stream<Arguments> cases() {
        Map<String, Object[]> c = new LinkedHashMap<>();
        // options: {OPT rdata, qtype, expected rcode}
        c.put("no options", new Object[] {new byte[0], Type.A, Rcode.NOERROR});
        c.put("cookie: client cookie only (8)", new Object[] {option(10, new byte[8]), Type.A, Rcode.NOERROR});
        c.put(
                "cookie: client + 8-byte server cookie (16)",
                new Object[] {option(10, new byte[16]), Type.A, Rcode.NOERROR});
        c.put(
                "cookie: client + 32-byte server cookie (40)",
                new Object[] {option(10, new byte[40]), Type.A, Rcode.NOERROR});
        for (int length : new int[] {0, 1, 7, 9, 15, 41, 64}) {
            c.put("cookie: length " + length, new Object[] {option(10, new byte[length]), Type.A, Rcode.FORMERR});
        }
        c.put("client subnet: 192.0.2.0/24", new Object[] {
            option(8, bytes(0, 1, 24, 0, 192, 0, 2)), Type.A, Rcode.NOERROR
        });
        c.put("client subnet: reserved family 0", new Object[] {option(8, bytes(0, 0, 0, 0)), Type.A, Rcode.FORMERR});
        c.put("client subnet: unknown family 3", new Object[] {
            option(8, bytes(0, 3, 24, 0, 192, 0, 2)), Type.A, Rcode.FORMERR
        });
        c.put("client subnet: IPv4 source prefix 33", new Object[] {
            option(8, bytes(0, 1, 33, 0, 192, 0, 2, 0, 1)), Type.A, Rcode.FORMERR
        });
        c.put("client subnet: /24 with 4 address bytes", new Object[] {
            option(8, bytes(0, 1, 24, 0, 192, 0, 2, 1)), Type.A, Rcode.FORMERR
        });
        c.put("client subnet: cut after the family", new Object[] {option(8, bytes(0, 1)), Type.A, Rcode.FORMERR});
        c.put("tcp keepalive: length 1", new Object[] {option(11, bytes(1)), Type.A, Rcode.FORMERR});
        c.put("tcp keepalive: empty", new Object[] {option(11, new byte[0]), Type.A, Rcode.NOERROR});
        c.put("extended error in a query: length 1", new Object[] {option(15, bytes(1)), Type.A, Rcode.FORMERR});
        c.put("NSID request", new Object[] {option(3, new byte[0]), Type.A, Rcode.NOERROR});
        c.put("padding", new Object[] {option(12, new byte[40]), Type.A, Rcode.NOERROR});
        c.put("unknown option 65001", new Object[] {option(65001, bytes(1, 2, 3)), Type.A, Rcode.NOERROR});
        c.put("option longer than the OPT data", new Object[] {bytes(0, 3, 0, 9, 1), Type.A, Rcode.FORMERR});
        c.put("cookie and client subnet", new Object[] {
            concat(option(10, new byte[8]), option(8, bytes(0, 1, 24, 0, 192, 0, 2))), Type.A, Rcode.NOERROR
        });
        c.put("cookie and a malformed client subnet", new Object[] {
            concat(option(10, new byte[8]), option(8, bytes(0, 9, 24, 0, 192, 0, 2))), Type.A, Rcode.FORMERR
        });
        // meta-types, with and without EDNS
        for (boolean edns : new boolean[] {false, true}) {
            String e = edns ? " (EDNS)" : "";
            byte[] rdata = edns ? new byte[0] : null;
            c.put("question type TKEY" + e, new Object[] {rdata, Type.TKEY, Rcode.FORMERR});
            c.put("question type TSIG" + e, new Object[] {rdata, Type.TSIG, Rcode.FORMERR});
            c.put("question type OPT" + e, new Object[] {rdata, Type.OPT, Rcode.FORMERR});
            c.put("question type 0" + e, new Object[] {rdata, 0, Rcode.FORMERR});
            c.put("question type MAILA" + e, new Object[] {rdata, Type.MAILA, Rcode.NOTIMP});
            c.put("question type MAILB" + e, new Object[] {rdata, Type.MAILB, Rcode.NOTIMP});
            c.put("question type 128 (unassigned)" + e, new Object[] {rdata, 128, Rcode.NOERROR});
            c.put("question type 248 (unassigned)" + e, new Object[] {rdata, 248, Rcode.NOERROR});
        }
        List<Arguments> out = new ArrayList<>();
        c.forEach((what, v) -> out.add(Arguments.of(what, v[0], v[1], v[2])));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameRcodeOnUdpAndTcpAndOnTheFastAndFullPath(String what, byte[] optRdata, int qtype, int rcode)
            throws IOException {
        Map<String, String> got = new LinkedHashMap<>();
        Map<String, String> want = new LinkedHashMap<>();
        int id = 100;
        for (int qclass : new int[] {DClass.IN, DClass.ANY}) {
            for (int round = 1; round <= 2; round++) {
                for (boolean tcp : new boolean[] {false, true}) {
                    String key = (tcp ? "tcp" : "udp") + " class " + DClass.string(qclass) + " #" + round;
                    byte[] q = query(++id, "www.example.test", qtype, qclass, optRdata);
                    byte[] r = tcp ? EXAMPLES.tcp(q) : EXAMPLES.udp(q);
                    assertThat(Packets.u16(r, 0)).as("%s: ID", key).isEqualTo(id);
                    got.put(key, Rcode.string(rcode(r)));
                    want.put(key, Rcode.string(rcode));
                }
            }
        }
        assertThat(got).as(what).isEqualTo(want);
    }

    /** The header's rcode (none of these cases has an extended rcode). */
    private static int rcode(byte[] r) {
        return r[3] & 0xF;
    }
}
