package dev.zonekeeper.operator.updatepolicy;

import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.dns.update.Grant;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicy;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicySpec;
import dev.zonekeeper.operator.config.ZoneSettings;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Turns one DnsUpdatePolicy and the text of its Secret's {@value #SECRET_KEY} into a {@link PolicyVerdict}. Pure: the
 * Secret is read by the caller. Everything in the object is user input, checked again here although the CRD's schema
 * already constrains it (an API server without validation, a CRD installed from an older chart).
 */
public final class PolicyConversion {

    /** The key of the Secret's data holding {@code name:algorithm:base64secret}. */
    public static final String SECRET_KEY = "tsig.key";

    /** Bound on the grants of one policy (the CRD says the same). */
    static final int MAX_GRANTS = 64;

    private PolicyConversion() {}

    /**
     * @param keyText the Secret's {@value #SECRET_KEY} as text; empty when the Secret or the key in it is missing
     */
    public static PolicyVerdict convert(DnsUpdatePolicy policy, Optional<String> keyText, ZoneSettings settings) {
        String ns = policy.getMetadata().getNamespace();
        String name = policy.getMetadata().getName();
        Long generation = policy.getMetadata().getGeneration();
        DnsUpdatePolicySpec spec = policy.getSpec();
        if (spec == null) {
            return PolicyVerdict.refused(ns, name, generation, PolicyVerdict.GRANT_INVALID, "spec is missing", null);
        }
        boolean hasSecretRef = spec.getKeySecretRef() != null
                && spec.getKeySecretRef().getName() != null
                && !spec.getKeySecretRef().getName().isBlank();
        if (!hasSecretRef) {
            String message = spec.getKeyFile() != null
                    ? "keyFile is read in standalone mode only; in a cluster set keySecretRef to a Secret in namespace "
                            + ns + " whose key \"" + SECRET_KEY + "\" holds name:algorithm:base64secret"
                    : "keySecretRef is missing: name a Secret in namespace " + ns + " whose key \"" + SECRET_KEY
                            + "\" holds name:algorithm:base64secret";
            return PolicyVerdict.refused(ns, name, generation, PolicyVerdict.KEY_FILE_NOT_SUPPORTED, message, null);
        }
        String secretName = spec.getKeySecretRef().getName();

        Name zone;
        try {
            zone = absolute(spec.getZone());
        } catch (IllegalArgumentException e) {
            return PolicyVerdict.refused(
                    ns, name, generation, PolicyVerdict.ZONE_NOT_SERVED, "zone: " + e.getMessage(), null);
        }
        boolean clusterDomain = zone.equals(settings.clusterDomain());
        if (!clusterDomain && !settings.zones().contains(zone)) {
            return PolicyVerdict.refused(
                    ns,
                    name,
                    generation,
                    PolicyVerdict.ZONE_NOT_SERVED,
                    "zone " + zone + " is not served by Zonekeeper (zonekeeper.zones lists " + settings.zones() + ")",
                    null);
        }
        if (!clusterDomain && !settings.mayWrite(zone, ns)) {
            return PolicyVerdict.refused(
                    ns,
                    name,
                    generation,
                    PolicyVerdict.NOT_ALLOWED,
                    "namespace " + ns + " may not write DnsRecords in zone " + zone + " (zonekeeper.zone-writers.\""
                            + zone.toString(true) + "\")",
                    null);
        }

        List<Grant> grants = new ArrayList<>();
        List<DnsUpdatePolicySpec.Grant> declared = spec.getGrants() == null ? List.of() : spec.getGrants();
        if (declared.isEmpty() || declared.size() > MAX_GRANTS) {
            return PolicyVerdict.refused(
                    ns,
                    name,
                    generation,
                    PolicyVerdict.GRANT_INVALID,
                    "grants must list 1 to " + MAX_GRANTS + " grants, found " + declared.size(),
                    null);
        }
        for (int i = 0; i < declared.size(); i++) {
            try {
                grants.add(grant(declared.get(i), zone, clusterDomain ? settings.namespaceDomain(ns) : zone));
            } catch (IllegalArgumentException e) {
                return PolicyVerdict.refused(
                        ns,
                        name,
                        generation,
                        PolicyVerdict.GRANT_INVALID,
                        "grants[" + i + "]: " + e.getMessage(),
                        null);
            }
        }

        if (keyText.isEmpty()) {
            return PolicyVerdict.refused(
                    ns,
                    name,
                    generation,
                    PolicyVerdict.SECRET_NOT_FOUND,
                    "Secret " + ns + "/" + secretName + " does not exist or has no key \"" + SECRET_KEY + "\"",
                    null);
        }
        TsigKeyFile.Key key;
        try {
            key = TsigKeyFile.parseUpdateKey(keyText.get());
        } catch (IllegalArgumentException e) {
            // TsigKeyFile's messages never show the secret
            return PolicyVerdict.refused(
                    ns,
                    name,
                    generation,
                    PolicyVerdict.KEY_INVALID,
                    "Secret " + ns + "/" + secretName + " key \"" + SECRET_KEY + "\": " + e.getMessage(),
                    null);
        }
        Name keyName = key.name();
        String message = "updates signed with key " + keyName.toString(true) + " may change " + grants.size()
                + " grant(s) in zone " + zone.toString(true)
                + (spec.getKeyFile() != null ? "; keyFile is ignored in a cluster (standalone mode only)" : "");
        return new PolicyVerdict(
                ns,
                name,
                generation,
                Optional.of(new UpdatePolicy(ns, name, zone, keyName, key.tsig(), grants)),
                PolicyVerdict.ACTIVE,
                message,
                keyName.toString(true),
                digest(keyText.get()),
                grants.size());
    }

    /** SHA-256 of the key's algorithm and secret as written (the key text's last two fields). */
    static String digest(String keyText) {
        String t = keyText.strip();
        String algorithmAndSecret = t.substring(t.indexOf(':') + 1).strip().toLowerCase(Locale.ROOT);
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(algorithmAndSecret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Grant grant(DnsUpdatePolicySpec.Grant g, Name zone, Name within) {
        if (g == null || g.getMatch() == null) {
            throw new IllegalArgumentException("match is missing (name, subdomain, wildcard or acme-challenge)");
        }
        Name n = absolute(g.getName());
        Grant.Match match = switch (g.getMatch()) {
            case NAME -> Grant.Match.NAME;
            case SUBDOMAIN -> Grant.Match.SUBDOMAIN;
            case WILDCARD -> Grant.Match.WILDCARD;
            case ACME_CHALLENGE -> Grant.Match.ACME_CHALLENGE;
        };
        Grant.problem(match, n, within).ifPresent(problem -> {
            throw new IllegalArgumentException(
                    within.equals(zone) ? problem : problem + " (the part of the zone this namespace owns)");
        });
        Set<Integer> types = new LinkedHashSet<>();
        if (g.getTypes() != null) {
            for (DnsRecordType t : g.getTypes()) {
                if (t == null) {
                    throw new IllegalArgumentException("types lists an unknown type");
                }
                types.add(Type.value(t.name()));
            }
        }
        return new Grant(match, n, types);
    }

    private static Name absolute(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("name is missing");
        }
        String t = text.strip().toLowerCase(Locale.ROOT);
        try {
            return Name.fromString(t.endsWith(".") ? t : t + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a valid domain name: " + e.getMessage(), e);
        }
    }
}
