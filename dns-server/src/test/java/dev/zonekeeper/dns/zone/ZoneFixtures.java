package dev.zonekeeper.dns.zone;

import dev.zonekeeper.testing.DnsClients;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.xbill.DNS.Name;

/** Zone-file text helpers for tests. */
public final class ZoneFixtures {
    private ZoneFixtures() {}

    public static Name name(String s) {
        return Name.fromConstantString(s);
    }

    /** Records from zone-file lines ("name TTL IN TYPE rdata"); names absolute unless an $ORIGIN line says otherwise. */
    public static List<org.xbill.DNS.Record> records(String zoneFileText) {
        return DnsClients.parse(zoneFileText);
    }

    public static org.xbill.DNS.Record record(String line) {
        List<org.xbill.DNS.Record> rs = records(line);
        if (rs.size() != 1) {
            throw new IllegalArgumentException("expected one record in: " + line);
        }
        return rs.get(0);
    }

    /** Records as a sorted set of presentation strings (owner case and TTL included), for order-free comparison. */
    public static Set<String> presentation(List<org.xbill.DNS.Record> records) {
        Set<String> out = new TreeSet<>();
        for (org.xbill.DNS.Record r : records) {
            out.add(r.toString());
        }
        return out;
    }

    public static Set<String> presentation(String zoneFileText) {
        return presentation(records(zoneFileText));
    }
}
