package dev.zonekeeper.dns.forward;

import static dev.zonekeeper.dns.forward.ForwarderTest.ask;
import static dev.zonekeeper.dns.forward.ForwarderTest.query;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Out-of-bailiwick and off-chain records from an upstream are not passed on (issue 13 point 9, Unbound's
 * harden-glue): the three examples of the issue, against a fake upstream over real loopback sockets.
 */
class ScrubTest {
    static final Name OURS = name("cluster.local.");

    final RecordingMetrics metrics = new RecordingMetrics();
    final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void anAddressForANameInOurZoneInTheAdditionalSectionIsDropped() throws Exception {
        Forwarder forwarder = forwarderFor(q -> {
            Message m = FakeUpstream.reply(q);
            m.addRecord(a("www.example.com.", "192.0.2.1"), Section.ANSWER);
            m.addRecord(a("www.cluster.local.", "6.6.6.6"), Section.ADDITIONAL);
            return m;
        });

        Message response = ask(forwarder, query("www.example.com.", Type.A));

        assertThat(records(response, Section.ANSWER)).containsExactly("www.example.com. A 192.0.2.1");
        assertThat(records(response, Section.ADDITIONAL)).isEmpty();
        assertThat(metrics.count("scrubbed additional")).isEqualTo(1);
        // and what the cache serves is scrubbed too
        assertThat(records(ask(forwarder, query("www.example.com.", Type.A)), Section.ADDITIONAL))
                .isEmpty();
    }

    @Test
    void authorityNsForAnotherDomainAndItsGlueAreDroppedWhileTheZonesOwnAreKept() throws Exception {
        Forwarder forwarder = forwarderFor(q -> {
            Message m = FakeUpstream.reply(q);
            m.addRecord(a("www.example.com.", "192.0.2.1"), Section.ANSWER);
            m.addRecord(a("other.example.com.", "192.0.2.66"), Section.ANSWER); // not asked for
            m.addRecord(ns("example.com.", "ns1.example.com."), Section.AUTHORITY);
            m.addRecord(ns("evil.example.", "ns.evil.example."), Section.AUTHORITY);
            m.addRecord(ns("cluster.local.", "ns.evil.example."), Section.AUTHORITY);
            m.addRecord(a("ns1.example.com.", "192.0.2.53"), Section.ADDITIONAL);
            m.addRecord(a("ns.evil.example.", "6.6.6.6"), Section.ADDITIONAL);
            m.addRecord(a("unrelated.example.org.", "6.6.6.7"), Section.ADDITIONAL);
            return m;
        });

        Message response = ask(forwarder, query("www.example.com.", Type.A));

        assertThat(records(response, Section.ANSWER)).containsExactly("www.example.com. A 192.0.2.1");
        assertThat(records(response, Section.AUTHORITY)).containsExactly("example.com. NS ns1.example.com.");
        assertThat(records(response, Section.ADDITIONAL)).containsExactly("ns1.example.com. A 192.0.2.53");
        assertThat(metrics.count("scrubbed answer")).isEqualTo(1);
        assertThat(metrics.count("scrubbed authority")).isEqualTo(2);
        assertThat(metrics.count("scrubbed additional")).isEqualTo(2);
    }

    @Test
    void aCnameChainIntoOurZoneLosesTheForgedAddressAtItsEnd() throws Exception {
        Forwarder forwarder = forwarderFor(q -> {
            Message m = FakeUpstream.reply(q);
            m.addRecord(cname("alias.example.com.", "www.cluster.local."), Section.ANSWER);
            m.addRecord(a("www.cluster.local.", "6.6.6.6"), Section.ANSWER);
            return m;
        });

        Message response = ask(forwarder, query("alias.example.com.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(records(response, Section.ANSWER))
                .as("the CNAME is the upstream's; the address is ours to give")
                .containsExactly("alias.example.com. CNAME www.cluster.local.");
        assertThat(metrics.count("scrubbed answer")).isEqualTo(1);
    }

    @Test
    void aCnameChainOutsideOurZonesIsKeptWholeWithMxTargetAddresses() throws Exception {
        Forwarder forwarder = forwarderFor(q -> {
            Message m = FakeUpstream.reply(q);
            m.addRecord(cname("mail.example.com.", "mx.example.net."), Section.ANSWER);
            m.addRecord(
                    new MXRecord(name("mx.example.net."), DClass.IN, 300, 10, name("smtp.example.net.")),
                    Section.ANSWER);
            m.addRecord(soa("example.net."), Section.AUTHORITY);
            m.addRecord(a("smtp.example.net.", "192.0.2.25"), Section.ADDITIONAL);
            return m;
        });

        Message response = ask(forwarder, query("mail.example.com.", Type.MX));

        assertThat(records(response, Section.ANSWER))
                .containsExactly("mail.example.com. CNAME mx.example.net.", "mx.example.net. MX 10 smtp.example.net.");
        assertThat(records(response, Section.AUTHORITY)).hasSize(1);
        assertThat(records(response, Section.ADDITIONAL)).containsExactly("smtp.example.net. A 192.0.2.25");
        assertThat(metrics.count("scrubbed answer")
                        + metrics.count("scrubbed authority")
                        + metrics.count("scrubbed additional"))
                .isZero();
    }

    @Test
    void namesUnderAFallthroughZoneAreTheUpstreamsToAnswer() throws Exception {
        FakeUpstream upstream = new FakeUpstream("127.0.0.5", (q, tcp) -> {
            Message m = FakeUpstream.reply(q);
            m.addRecord(
                    new PTRRecord(q.getQuestion().getName(), DClass.IN, 300, name("host.example.com.")),
                    Section.ANSWER);
            return m.toWire();
        });
        closeables.add(upstream);
        Forwarder forwarder = new Forwarder(
                ForwarderConfig.builder()
                        .upstreams(upstream.address())
                        .timeout(Duration.ofSeconds(2))
                        .servedZones(List.of(OURS, name("in-addr.arpa.")))
                        .fallthrough(List.of(name("in-addr.arpa.")))
                        .build(),
                metrics);
        closeables.add(0, forwarder);

        Message response = ask(forwarder, query("1.2.0.192.in-addr.arpa.", Type.PTR));

        assertThat(records(response, Section.ANSWER)).containsExactly("1.2.0.192.in-addr.arpa. PTR host.example.com.");
    }

    // ---- helpers

    interface Answers {
        Message answer(Message query) throws Exception;
    }

    private Forwarder forwarderFor(Answers answers) throws Exception {
        FakeUpstream upstream =
                new FakeUpstream("127.0.0.5", (q, tcp) -> answers.answer(q).toWire());
        closeables.add(upstream);
        Forwarder f = new Forwarder(
                ForwarderConfig.builder()
                        .upstreams(upstream.address())
                        .timeout(Duration.ofSeconds(2))
                        .servedZones(List.of(OURS))
                        .build(),
                metrics);
        closeables.add(0, f);
        return f;
    }

    static List<String> records(Message m, int section) {
        return m.getSection(section).stream()
                .map(r -> r.getName() + " " + Type.string(r.getType()) + " " + r.rdataToString())
                .collect(Collectors.toList());
    }

    static Name name(String s) {
        try {
            return Name.fromString(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static ARecord a(String owner, String address) throws Exception {
        return new ARecord(name(owner), DClass.IN, 300, InetAddress.getByName(address));
    }

    static NSRecord ns(String owner, String target) {
        return new NSRecord(name(owner), DClass.IN, 300, name(target));
    }

    static CNAMERecord cname(String owner, String target) {
        return new CNAMERecord(name(owner), DClass.IN, 300, name(target));
    }

    static SOARecord soa(String owner) {
        return new SOARecord(
                name(owner), DClass.IN, 300, name("ns." + owner), name("h." + owner), 1, 3600, 600, 86400, 60);
    }
}
