package dev.zonekeeper.dns.update;

import org.xbill.DNS.Name;

/**
 * How one update ended, handed to the {@link UpdateService}'s listener (metrics, Events, logs). {@code zone} is null
 * when the request got no further than parsing or authentication. {@code policy} is null unless the request's
 * signature verified; then it is the policy the request was judged under, or for a request refused before that
 * (BADTIME, over the rate, a zone none of the key's policies names) one of the key's policies, preferably that of the
 * zone asked for. {@code detail} says why in words a user can act on (never a secret); {@code changes} counts the
 * RRsets written; {@code nanos} is the time from receipt to the answer.
 */
public record UpdateOutcome(
        Name zone, UpdatePolicy policy, UpdateResult result, String detail, int changes, long nanos) {}
