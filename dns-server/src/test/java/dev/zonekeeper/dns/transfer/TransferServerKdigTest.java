package dev.zonekeeper.dns.transfer;

import static dev.zonekeeper.dns.transfer.TransferTesting.KEY;
import static dev.zonekeeper.dns.transfer.TransferTesting.ORIGIN;
import static dev.zonekeeper.dns.transfer.TransferTesting.SECRET;
import static dev.zonekeeper.dns.transfer.TransferTesting.exampleZone;
import static dev.zonekeeper.dns.transfer.TransferTesting.records;
import static dev.zonekeeper.dns.transfer.TransferTesting.rr;
import static dev.zonekeeper.testing.KnotSecondary.kdig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.testing.KnotSecondary;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The primary's transfer endpoint with Knot's {@code kdig} as the client. */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class TransferServerKdigTest {
    private static final String KEY_ARG = "hmac-sha256:zonekeeper-transfer:" + SECRET;

    private PrimaryZones zones;
    private TransferServer server;

    @BeforeEach
    void setUp() throws Exception {
        zones = new PrimaryZones();
        zones.put(exampleZone());
        server = TransferServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                zones,
                KEY,
                TransferServer.Options.DEFAULT.withMaxMessageBytes(2048));
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private String port() {
        return Integer.toString(server.address().getPort());
    }

    @Test
    void signedAxfrReturnsTheZone() throws Exception {
        KnotSecondary.Dig dig = kdig("-y", KEY_ARG, "@127.0.0.1", "-p", port(), "example.test", "AXFR");
        assertThat(dig.exitCode()).as(dig.output()).isZero();
        assertThat(dig.output()).doesNotContain("WARNING").doesNotContain("failed");
        assertThat(dig.records()).isEqualTo(records(zones.get(ORIGIN).zone()));
        assertThat(server.stats().axfr()).isEqualTo(1);
    }

    @Test
    void unsignedAxfrIsRefused() throws Exception {
        KnotSecondary.Dig dig = kdig("@127.0.0.1", "-p", port(), "example.test", "AXFR");
        assertThat(dig.output()).contains("REFUSED");
        assertThat(dig.records()).isEmpty();
        assertThat(server.stats().unsignedRefused()).isEqualTo(1);
        assertThat(server.stats().axfr()).isZero();
    }

    @Test
    void axfrWithTheWrongSecretIsNotAuthorized() throws Exception {
        KnotSecondary.Dig dig = kdig(
                "-y",
                "hmac-sha256:zonekeeper-transfer:d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==",
                "@127.0.0.1",
                "-p",
                port(),
                "example.test",
                "AXFR");
        assertThat(dig.output()).contains("server replied with error 'BADSIG'");
        assertThat(dig.records()).isEmpty();
        assertThat(server.stats().tsigFailures()).isEqualTo(1);
    }

    @Test
    void axfrWithAnUnknownKeyNameIsNotAuthorized() throws Exception {
        KnotSecondary.Dig dig =
                kdig("-y", "hmac-sha256:other-key:" + SECRET, "@127.0.0.1", "-p", port(), "example.test", "AXFR");
        assertThat(dig.output()).contains("server replied with error 'BADKEY'");
        assertThat(dig.records()).isEmpty();
        assertThat(server.stats().tsigFailures()).isEqualTo(1);
    }

    @Test
    void largeZoneIsSplitOverManySignedMessages() throws Exception {
        List<org.xbill.DNS.Record> added = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            added.add(rr("host" + i + ".example.test. 300 IN A 10.0." + (i / 250) + "." + (i % 250)));
        }
        zones.change(ORIGIN, List.of(), added);
        Zone zone = zones.get(ORIGIN).zone();

        KnotSecondary.Dig dig = kdig("-y", KEY_ARG, "@127.0.0.1", "-p", port(), "example.test", "AXFR");
        assertThat(dig.exitCode()).as(dig.output()).isZero();
        assertThat(dig.output()).doesNotContain("WARNING").doesNotContain("failed");
        assertThat(dig.records()).isEqualTo(records(zone));
        Matcher stats = Pattern.compile("\\((\\d+) messages, (\\d+) records\\)").matcher(dig.output());
        assertThat(stats.find()).as(dig.output()).isTrue();
        assertThat(Integer.parseInt(stats.group(1))).isGreaterThan(10);
        assertThat(Integer.parseInt(stats.group(2))).isEqualTo(zone.recordCount() + 1);

        // dnsjava verifies the TSIG of every message too.
        org.xbill.DNS.ZoneTransferIn xfr = org.xbill.DNS.ZoneTransferIn.newAXFR(ORIGIN, server.address(), KEY);
        xfr.run();
        assertThat(xfr.getAXFR()).hasSize(zone.recordCount() + 1);
    }

    @Test
    void ixfrSendsTheJournaledChangesAndAsingleSoaWhenCurrent() throws Exception {
        long start = zones.get(ORIGIN).serial();
        zones.change(
                ORIGIN,
                List.of(rr("www.example.test. 300 IN A 192.0.2.10")),
                List.of(rr("www.example.test. 300 IN A 192.0.2.99")));
        long now = zones.get(ORIGIN).serial();

        KnotSecondary.Dig ixfr = kdig("-y", KEY_ARG, "@127.0.0.1", "-p", port(), "example.test", "IXFR=" + start);
        assertThat(ixfr.exitCode()).as(ixfr.output()).isZero();
        assertThat(ixfr.output()).contains("192.0.2.10").contains("192.0.2.99").doesNotContain("192.0.2.11");
        assertThat(server.stats().ixfr()).isEqualTo(1);

        KnotSecondary.Dig current = kdig("-y", KEY_ARG, "@127.0.0.1", "-p", port(), "example.test", "IXFR=" + now);
        assertThat(current.exitCode()).as(current.output()).isZero();
        assertThat(current.records()).hasSize(1).allMatch(r -> r.contains("SOA") && r.contains(" " + now + " "));

        KnotSecondary.Dig unknown = kdig("-y", KEY_ARG, "@127.0.0.1", "-p", port(), "example.test", "IXFR=12345");
        assertThat(unknown.records()).isEqualTo(records(zones.get(ORIGIN).zone()));
        assertThat(server.stats().ixfrAsAxfr()).isEqualTo(1);
    }

    @Test
    void soaQueryOverUdpAndTcpAndUnknownZones() throws Exception {
        long serial = zones.get(ORIGIN).serial();
        for (String transport : List.of("+notcp", "+tcp")) {
            KnotSecondary.Dig soa = kdig("-y", KEY_ARG, "@127.0.0.1", "-p", port(), transport, "example.test", "SOA");
            assertThat(soa.output()).as(transport).contains("NOERROR").contains(" " + serial + " ");
        }
        KnotSecondary.Dig other = kdig("-y", KEY_ARG, "@127.0.0.1", "-p", port(), "other.test", "AXFR");
        assertThat(other.output()).contains("NOTAUTH");
        assertThat(other.records()).isEmpty();
    }
}
