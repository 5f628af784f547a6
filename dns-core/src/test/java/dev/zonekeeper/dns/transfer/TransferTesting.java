package dev.zonekeeper.dns.transfer;

import dev.zonekeeper.dns.zone.Zone;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/** Shared pieces of the transfer tests. */
final class TransferTesting {
    static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=";
    static final String KEY_TEXT = "zonekeeper-transfer:hmac-sha256:" + SECRET;
    static final TSIG KEY = TsigKeyFile.parse(KEY_TEXT);
    static final Name ORIGIN = Name.fromConstantString("example.test.");

    private TransferTesting() {}

    static Zone exampleZone() {
        return Zone.parse(
                ORIGIN,
                String.join(
                        "\n",
                        "$TTL 300",
                        "@ 3600 IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 30",
                        "@ IN NS ns1",
                        "ns1 IN A 192.0.2.1",
                        "www IN A 192.0.2.10",
                        "www IN A 192.0.2.11",
                        "api IN CNAME www",
                        "_http._tcp IN SRV 0 10 80 www",
                        "txt IN TXT \"hello world\"",
                        ""));
    }

    static org.xbill.DNS.Record rr(String text) {
        String[] f = text.strip().split("\\s+", 5);
        try {
            return org.xbill.DNS.Record.fromString(
                    Name.fromString(f[0], ORIGIN),
                    org.xbill.DNS.Type.value(f[3]),
                    org.xbill.DNS.DClass.value(f[2]),
                    Long.parseLong(f[1]),
                    f[4],
                    ORIGIN);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    /** A zone's records as a set of presentation lines (TTL included). */
    static Set<String> records(Zone zone) {
        Set<String> set = new HashSet<>();
        for (org.xbill.DNS.Record r : zone.records()) {
            set.add(r.toString());
        }
        return set;
    }

    /** Records what a secondary reports. */
    static final class Events implements TransferListener {
        record Transfer(Name zone, Kind kind, long serial, int changed) {}

        final List<Transfer> transfers = new CopyOnWriteArrayList<>();
        final List<Exception> failures = new CopyOnWriteArrayList<>();

        @Override
        public void onTransfer(Name zone, Kind kind, long serial, int recordsChanged) {
            transfers.add(new Transfer(zone, kind, serial, recordsChanged));
        }

        @Override
        public void onFailure(Name zone, Exception cause) {
            failures.add(cause);
        }

        Transfer last() {
            return transfers.get(transfers.size() - 1);
        }

        List<Kind> kinds() {
            List<Kind> kinds = new ArrayList<>();
            for (Transfer t : transfers) {
                kinds.add(t.kind());
            }
            return kinds;
        }
    }
}
