package dev.zonekeeper.dns.update;

import org.xbill.DNS.Name;

/**
 * How one update ended, handed to the {@link UpdateService}'s listener (metrics, Events, logs). {@code zone} and
 * {@code policy} are null when the request got no further than parsing or authentication; {@code detail} says why
 * in words a user can act on (never a secret); {@code changes} counts the RRsets written; {@code nanos} is the time
 * from receipt to the answer.
 */
public record UpdateOutcome(
        Name zone, UpdatePolicy policy, UpdateResult result, String detail, int changes, long nanos) {}
