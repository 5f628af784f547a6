package dev.zonekeeper.dns.update;

import java.util.Set;
import org.xbill.DNS.Name;

/**
 * What a key may change, in the spirit of BIND's {@code update-policy}: {@link Match#NAME} exactly {@code name};
 * {@link Match#SUBDOMAIN} {@code name} and every name below it; {@link Match#WILDCARD} a name matched by the wildcard
 * {@code name} (e.g. {@code *.dyn.example.test}: every name strictly below {@code dyn.example.test});
 * {@link Match#ACME_CHALLENGE} only the ACME DNS-01 names {@code _acme-challenge.<n>} where {@code <n>} is {@code name}
 * or below it, so one grant serves every certificate in a zone without letting the key touch anything else.
 * {@code types} lists the record types allowed (type codes); empty allows every type a DnsRecord can hold.
 */
public record Grant(Match match, Name name, Set<Integer> types) {

    public enum Match {
        NAME,
        SUBDOMAIN,
        WILDCARD,
        ACME_CHALLENGE
    }

    private static final byte[] ACME_LABEL = "_acme-challenge".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    public Grant {
        types = Set.copyOf(types);
    }

    /**
     * Why a grant of {@code match} at {@code name} cannot stand in a policy whose names must lie at or below
     * {@code within}, or empty when it can: one rule for the operator's DnsUpdatePolicy objects and standalone mode's
     * documents.
     */
    public static java.util.Optional<String> problem(Match match, Name name, Name within) {
        if (match == Match.WILDCARD && !name.isWild()) {
            return java.util.Optional.of("name " + name + " must start with '*.' for match: wildcard");
        }
        if (match == Match.SUBDOMAIN && name.isWild()) {
            return java.util.Optional.of(
                    "name " + name + " must not start with '*.' for match: subdomain (use match: wildcard)");
        }
        Name base = name.isWild() ? new Name(name, 1) : name;
        if (!base.subdomain(within)) {
            return java.util.Optional.of("name " + name + " is not in the zone " + within);
        }
        return java.util.Optional.empty();
    }

    private static boolean isAcmeLabel(Name owner) {
        byte[] label = owner.getLabel(0); // length byte, then the label's bytes
        if (label[0] != ACME_LABEL.length) {
            return false;
        }
        for (int i = 0; i < ACME_LABEL.length; i++) {
            if (Character.toLowerCase(label[i + 1]) != ACME_LABEL[i]) {
                return false;
            }
        }
        return true;
    }

    /** True when this grant lets its key change the RRset {@code type} at {@code owner}. */
    public boolean allows(Name owner, int type) {
        if (types.isEmpty() ? !RecordValues.writable(type) : !types.contains(type)) {
            return false;
        }
        return switch (match) {
            case NAME -> owner.equals(name);
            case SUBDOMAIN -> owner.subdomain(name);
            case WILDCARD -> {
                // "*.x" (or just "x") covers the names strictly below x, the wildcard name itself among them
                Name base = name.isWild() ? new Name(name, 1) : name;
                yield owner.subdomain(base) && !owner.equals(base);
            }
            case ACME_CHALLENGE -> owner.labels() > 1 && isAcmeLabel(owner) && new Name(owner, 1).subdomain(name);
        };
    }
}
