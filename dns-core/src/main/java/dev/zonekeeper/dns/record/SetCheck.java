package dev.zonekeeper.dns.record;

import java.util.List;

/**
 * Outcome of {@link RecordSpecs#checkSet}: the record sets that may be served together, and those refused because
 * they conflict with one that came earlier.
 *
 * @param <T> the caller's handle for one record set (a manifest document, a custom resource, ...)
 */
public record SetCheck<T>(List<T> accepted, List<Conflict<T>> conflicts) {

    public SetCheck {
        accepted = List.copyOf(accepted);
        conflicts = List.copyOf(conflicts);
    }

    /** A refused record set and why, naming the earlier record set it collides with. */
    public record Conflict<T>(T item, String reason) {}
}
