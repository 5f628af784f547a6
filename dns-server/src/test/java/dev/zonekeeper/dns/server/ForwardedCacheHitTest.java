package dev.zonekeeper.dns.server;

import static dev.zonekeeper.dns.testing.Loopback.hostPort;
import static dev.zonekeeper.dns.testing.Loopback.loopback;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.dns.testing.InProcessServer;
import dev.zonekeeper.dns.wire.WireBytes;
import dev.zonekeeper.testing.DnsClients;
import dev.zonekeeper.testing.DnsClients.Reply;
import dev.zonekeeper.testing.KnotServer;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Forwarded answers that are fresh in the forwarder's cache are served from pre-encoded bytes
 * ({@link ForwardedHits}); what the client gets must be what the full path (dnsjava parse, forward, encode) sends:
 * the miss that filled the cache is the reference, byte for byte, apart from the ID and the TTLs, which drop by the
 * entry's age. The upstream is a real Knot; queries are raw UDP datagrams written by dnsjava, and dig/kdig.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class ForwardedCacheHitTest {
    static final String ZONE = String.join(
            "\n",
            "$ORIGIN example.test.",
            "$TTL 300",
            "@ 3600 IN SOA ns1 hostmaster 1 3600 600 86400 120",
            "@ IN NS ns1",
            "ns1 IN A 127.0.0.1",
            "www IN A 192.0.2.1",
            "www IN A 192.0.2.3",
            "alias 600 IN CNAME www",
            "big IN TXT \"" + "a".repeat(200) + "\"",
            "big IN TXT \"" + "b".repeat(200) + "\"",
            "big IN TXT \"" + "c".repeat(200) + "\"",
            "");

    static KnotServer knot;
    static Path records;
    DnsServer server;
    InetSocketAddress dns;

    @BeforeAll
    static void startKnot() throws IOException {
        knot = KnotServer.start("example.test", ZONE, loopback(0));
        records = Files.createTempDirectory("zk-records");
    }

    @AfterAll
    static void stopKnot() throws IOException {
        if (knot != null) {
            knot.close();
        }
        Files.deleteIfExists(records);
    }

    @BeforeEach
    void startServer() {
        server = InProcessServer.start(
                "--records", records.toString(), "--upstream", hostPort(knot.address()), "--udp-sockets", "1");
        dns = InProcessServer.dns(server);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @ParameterizedTest(name = "{0} {1} edns={2} do={3} cd={4}")
    @CsvSource({
        "Www.Example.TEST., A, false, false, false",
        "Www.Example.TEST., A, true, false, false",
        "Www.Example.TEST., A, true, true, false",
        "www.example.test., A, true, false, true",
        "ALIAS.example.test., A, false, false, false",
        "ALIAS.example.test., A, true, false, false",
        "Nope.Example.Test., A, false, false, false",
        "Nope.Example.Test., A, true, true, false",
        "www.example.test., AAAA, false, false, false",
        "www.example.test., AAAA, true, false, false",
        "big.example.test., TXT, true, false, false"
    })
    void aHitIsTheMissResponseWithTheQueryIdAndAgedTtls(
            String qname, String qtype, boolean edns, boolean dnssecOk, boolean checkingDisabled) throws Exception {
        byte[] query = query(0x1234, qname, Type.value(qtype), edns, dnssecOk, checkingDisabled);
        byte[] miss = udp(query);
        double hits = hits();

        byte[] again = query.clone();
        again[0] = (byte) 0xBE;
        again[1] = (byte) 0xEF;
        byte[] hit = udp(again);

        assertThat(hits()).as("counted as a forward cache hit").isEqualTo(hits + 1);
        assertThat(misses()).as("the upstream was asked once").isEqualTo(1);
        assertThat(hit[0] & 0xFF).isEqualTo(0xBE);
        assertThat(hit[1] & 0xFF).isEqualTo(0xEF);
        assertThat(withoutIdAndTtls(hit)).as("the miss's bytes").isEqualTo(withoutIdAndTtls(miss));
        List<Long> missTtls = ttls(miss);
        List<Long> hitTtls = ttls(hit);
        for (int i = 0; i < missTtls.size(); i++) {
            assertThat(hitTtls.get(i)).isBetween(missTtls.get(i) - 5, missTtls.get(i));
        }

        Message m = new Message(hit);
        assertThat(m.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.RA)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.RD)).as("copied from the query").isTrue();
        assertThat(m.getHeader().getFlag(Flags.CD)).as("copied from the query").isEqualTo(checkingDisabled);
        assertThat(m.getHeader().getFlag(Flags.AA)).as("not our data").isFalse();
        assertThat(m.getHeader().getFlag(Flags.AD)).isFalse();
        assertThat(m.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(m.getQuestion().getName().toString())
                .as("question case as sent")
                .isEqualTo(qname);
        OPTRecord opt = m.getOPT();
        if (edns) {
            assertThat(opt).isNotNull();
            assertThat(opt.getPayloadSize()).isEqualTo(QueryProcessor.EDNS_UDP_SIZE);
            assertThat((opt.getFlags() & ExtendedFlags.DO) != 0).as("DO copied").isEqualTo(dnssecOk);
        } else {
            assertThat(opt).isNull();
        }
        if (qname.startsWith("Nope")) {
            assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
            assertThat(m.getSection(Section.AUTHORITY))
                    .singleElement()
                    .satisfies(soa -> assertThat(soa.getType()).isEqualTo(Type.SOA));
        }
    }

    @Test
    void ttlsOfHitsDropWithTheEntrysAgeCappedByTheEntryTtl() throws Exception {
        byte[] alias = query(7, "alias.example.test.", Type.A, true, false, false);
        byte[] nope = query(8, "nope.example.test.", Type.A, false, false, false);
        assertThat(ttls(udp(alias)))
                .as("CNAME 600 capped at the entry's 300, then the A RRset")
                .containsExactly(300L, 300L, 300L);
        assertThat(ttls(udp(nope)))
                .as("SOA 3600 capped at the negative TTL, min(SOA TTL, MINIMUM)")
                .containsExactly(120L);
        double hits = hits();

        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(ttls(udp(alias)).get(0)).isLessThan(300L));
        List<Long> aged = ttls(udp(alias));
        long age = 300 - aged.get(0);
        assertThat(aged).as("every TTL drops by the same age").containsExactly(300 - age, 300 - age, 300 - age);
        long nxTtl = ttls(udp(nope)).get(0);
        assertThat(nxTtl).as("NXDOMAIN's SOA TTL too").isBetween(120 - age - 2, 120 - age);
        assertThat(new Message(udp(nope)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(misses()).as("the upstream was asked once per question").isEqualTo(2);
        assertThat(hits()).isGreaterThanOrEqualTo(hits + 3);
    }

    @Test
    void anAnswerTooLargeForTheClientIsTruncatedByTheFullPath() throws Exception {
        byte[] withEdns = query(1, "big.example.test.", Type.TXT, true, false, false);
        byte[] plain = query(2, "big.example.test.", Type.TXT, false, false, false);
        Message full = new Message(udp(withEdns));
        assertThat(full.getSection(Section.ANSWER)).hasSize(3);
        double hits = hits();

        Message cut = new Message(udp(plain));

        assertThat(cut.getHeader().getFlag(Flags.TC))
                .as("over 512 bytes without EDNS")
                .isTrue();
        assertThat(cut.getHeader().getID()).isEqualTo(2);
        assertThat(cut.getSection(Section.ANSWER).size()).isLessThan(3);
        assertThat(hits()).as("still a cache hit").isEqualTo(hits + 1);
        Reply tcp = DnsClients.dig(dns, "big.example.test.", "TXT", "+tcp", "+noedns");
        assertThat(tcp.tc()).isFalse();
        assertThat(tcp.answer()).hasSize(3);
        assertThat(misses()).isEqualTo(1);
    }

    @Test
    void digAndKdigSeeTheUpstreamAnswerOnHits() {
        Reply first = DnsClients.dig(dns, "WWW.example.test.", "A");
        Reply dig = DnsClients.dig(dns, "WWW.example.test.", "A");
        Reply kdig = DnsClients.kdig(dns, "www.example.test.", "A");
        Reply kdigNx = DnsClients.kdig(dns, "nope.example.test.", "A", "+dnssec");
        Reply kdigNxAgain = DnsClients.kdig(dns, "nope.example.test.", "A", "+dnssec");

        assertThat(DnsClients.ttlFree(dig.answer()))
                .isEqualTo(DnsClients.ttlFree(first.answer()))
                .isEqualTo(DnsClients.ttlFree(DnsClients.canonical(
                        "www.example.test. 300 IN A 192.0.2.1\nwww.example.test. 300 IN A 192.0.2.3", true)));
        assertThat(dig.question()).isEqualTo("WWW.example.test. A");
        assertThat(dig.ra()).isTrue();
        assertThat(dig.aa()).isFalse();
        assertThat(dig.ednsUdpSize()).isEqualTo(QueryProcessor.EDNS_UDP_SIZE);
        assertThat(kdig.content()).isEqualTo(dig.content().replace("WWW", "www"));
        assertThat(kdigNxAgain.content()).isEqualTo(kdigNx.content());
        assertThat(kdigNxAgain.rcode()).isEqualTo("NXDOMAIN");
        assertThat(kdigNxAgain.dnssecOk()).isTrue();
        assertThat(misses()).isEqualTo(2);
        assertThat(hits()).isEqualTo(3);
    }

    // ---- helpers

    private double hits() {
        return server.metrics().count("zonekeeper.dns.forward.cache", "result", "hit");
    }

    private double misses() {
        return server.metrics().count("zonekeeper.dns.forward.cache", "result", "miss");
    }

    private static byte[] query(int id, String name, int type, boolean edns, boolean dnssecOk, boolean cd)
            throws IOException {
        Message m = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name), type, DClass.IN));
        m.getHeader().setID(id);
        if (cd) {
            m.getHeader().setFlag(Flags.CD);
        }
        if (edns) {
            m.addRecord(new OPTRecord(4096, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        }
        return m.toWire();
    }

    private byte[] udp(byte[] query) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(5000);
            s.send(new DatagramPacket(query, query.length, dns));
            DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
            s.receive(p);
            return Arrays.copyOf(p.getData(), p.getLength());
        }
    }

    /** The TTL of every record (OPT excluded), in wire order. */
    private static List<Long> ttls(byte[] wire) {
        List<Long> out = new ArrayList<>();
        for (int at : ttlOffsets(wire)) {
            out.add(((long) WireBytes.u16(wire, at) << 16) | WireBytes.u16(wire, at + 2));
        }
        return out;
    }

    /** The response without its ID and with every TTL field zeroed (OPT excluded: its TTL holds flags). */
    private static byte[] withoutIdAndTtls(byte[] wire) {
        byte[] b = wire.clone();
        b[0] = 0;
        b[1] = 0;
        for (int at : ttlOffsets(wire)) {
            Arrays.fill(b, at, at + 4, (byte) 0);
        }
        return b;
    }

    private static List<Integer> ttlOffsets(byte[] b) {
        List<Integer> out = new ArrayList<>();
        int p = WireBytes.skipName(b, 12) + 4;
        int records = WireBytes.u16(b, 6) + WireBytes.u16(b, 8) + WireBytes.u16(b, 10);
        for (int i = 0; i < records; i++) {
            p = WireBytes.skipName(b, p);
            if (WireBytes.u16(b, p) != Type.OPT) {
                out.add(p + 4);
            }
            p += 8 + 2 + WireBytes.u16(b, p + 8);
        }
        assertThat(p).as("records end where the packet ends").isEqualTo(b.length);
        return out;
    }
}
