package dev.zonekeeper.dns.record;

import java.util.List;

/**
 * Outcome of validating one {@link RecordSpec}: either the records it describes (one per value, in value order, all
 * with the same owner name, type and TTL) or the reasons it was refused, never both.
 */
public record SpecResult(List<org.xbill.DNS.Record> records, List<String> errors) {

    public SpecResult {
        records = List.copyOf(records);
        errors = List.copyOf(errors);
        if (!records.isEmpty() && !errors.isEmpty()) {
            throw new IllegalArgumentException("a spec result has records or errors, not both");
        }
    }

    static SpecResult valid(List<org.xbill.DNS.Record> records) {
        return new SpecResult(records, List.of());
    }

    static SpecResult invalid(List<String> errors) {
        return new SpecResult(List.of(), errors);
    }

    public boolean isValid() {
        return errors.isEmpty();
    }
}
