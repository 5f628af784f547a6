package dev.zonekeeper.operator.records;

import java.util.List;
import java.util.Optional;
import org.xbill.DNS.Name;

/**
 * What to do with one DnsRecord.
 *
 * @param reason the Ready condition's reason
 * @param message what happened, and for a rejection what to fix
 * @param fqdn the absolute, lower-case owner name when the name could be parsed
 * @param records the parsed records; empty unless {@link #serving()}
 */
public record Decision(Reason reason, String message, Optional<Name> fqdn, List<org.xbill.DNS.Record> records) {

    public Decision {
        records = List.copyOf(records);
    }

    public boolean serving() {
        return reason == Reason.Serving;
    }

    static Decision reject(Reason reason, Name fqdn, String message) {
        return new Decision(reason, message, Optional.ofNullable(fqdn), List.of());
    }
}
