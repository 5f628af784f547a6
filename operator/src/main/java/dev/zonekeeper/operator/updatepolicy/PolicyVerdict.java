package dev.zonekeeper.operator.updatepolicy;

import dev.zonekeeper.dns.update.UpdatePolicy;
import java.util.Optional;

/**
 * What one DnsUpdatePolicy amounts to: the {@link UpdatePolicy} in force, or why none is. {@code reason} is the
 * CamelCase reason of the Ready condition, {@code message} says what to fix (never the secret), {@code keyName} is the
 * key's name when the key could be read, {@code keyDigest} a SHA-256 of its algorithm and secret (tells two keys of one
 * name apart without keeping the secret twice).
 */
public record PolicyVerdict(
        String namespace,
        String name,
        Long generation,
        Optional<UpdatePolicy> policy,
        String reason,
        String message,
        String keyName,
        String keyDigest,
        int grants) {

    public static final String ACTIVE = "Active";
    public static final String SECRET_NOT_FOUND = "SecretNotFound";
    public static final String KEY_INVALID = "KeyInvalid";
    public static final String KEY_FILE_NOT_SUPPORTED = "KeyFileNotSupported";
    public static final String KEY_CONFLICT = "KeyConflict";
    public static final String GRANT_INVALID = "GrantInvalid";
    public static final String ZONE_NOT_SERVED = "ZoneNotServed";
    public static final String NOT_ALLOWED = "NotAllowed";

    public boolean ready() {
        return policy.isPresent();
    }

    static PolicyVerdict refused(
            String namespace, String name, Long generation, String reason, String message, String keyName) {
        return new PolicyVerdict(namespace, name, generation, Optional.empty(), reason, message, keyName, null, 0);
    }
}
