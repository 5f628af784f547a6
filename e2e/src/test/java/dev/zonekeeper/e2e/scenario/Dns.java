package dev.zonekeeper.e2e.scenario;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** Questions to a DNS server over UDP with dnsjava, answers reduced to what the scenarios compare. */
final class Dns {

    private final InetSocketAddress server;

    Dns(InetSocketAddress server) {
        this.server = server;
    }

    /** The answer: rcode name and the sorted rdata of the answer records of {@code type} at {@code name}. */
    record Answer(String rcode, List<String> data) {
        @Override
        public String toString() {
            return rcode + " " + data;
        }
    }

    Answer query(String name, int type) {
        try {
            SimpleResolver resolver = new SimpleResolver(server);
            resolver.setTimeout(Duration.ofSeconds(2));
            Name qname = Name.fromString(name.endsWith(".") ? name : name + ".");
            Message response = resolver.send(Message.newQuery(org.xbill.DNS.Record.newRecord(qname, type, DClass.IN)));
            TreeSet<String> data = response.getSection(Section.ANSWER).stream()
                    .filter(r -> r.getType() == type && r.getName().equals(qname))
                    .map(r -> r.rdataToString())
                    .collect(Collectors.toCollection(TreeSet::new));
            return new Answer(Rcode.string(response.getRcode()), List.copyOf(data));
        } catch (IOException e) {
            throw new UncheckedIOException("no answer from " + server + " for " + name + " " + Type.string(type), e);
        }
    }

    static Answer noerror(String... data) {
        return new Answer("NOERROR", List.copyOf(new TreeSet<>(List.of(data))));
    }

    static Answer nxdomain() {
        return new Answer("NXDOMAIN", List.of());
    }

    @Override
    public String toString() {
        return "DNS server " + server;
    }
}
