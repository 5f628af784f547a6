package dev.zonekeeper.operator.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * The zones Zonekeeper serves and who may write DnsRecords in them, checked and normalised. Plain Java, built from
 * {@link ZonekeeperConfig} at start-up.
 *
 * @param clusterDomain the cluster domain (Services and Pods; DnsRecords only under their own namespace)
 * @param zones the extra zones served for DnsRecords, most specific first
 * @param writers zone to the namespaces allowed to write in it; {@code *} means every namespace
 */
public record ZoneSettings(Name clusterDomain, List<Name> zones, Map<Name, Set<String>> writers) {

    /** Every namespace may write. */
    public static final String ALL_NAMESPACES = "*";

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public ZoneSettings {
        List<Name> sorted = new ArrayList<>(zones);
        sorted.sort(Comparator.comparingInt(Name::labels).reversed());
        zones = List.copyOf(sorted);
        writers = Collections.unmodifiableMap(new LinkedHashMap<>(writers));
    }

    /**
     * Checks and normalises the settings.
     *
     * @throws IllegalArgumentException naming the offending key when a zone name or namespace is invalid
     */
    public static ZoneSettings parse(String clusterDomain, List<String> zones, Map<String, String> zoneWriters) {
        Name domain = zoneName("zonekeeper.cluster-domain", clusterDomain);
        List<Name> served = new ArrayList<>();
        for (String zone : zones) {
            Name name = zoneName("zonekeeper.zones", zone);
            if (name.equals(domain)) {
                throw new IllegalArgumentException("zonekeeper.zones: \"" + zone
                        + "\" is the cluster domain, which is always " + "served; remove it from zonekeeper.zones");
            }
            if (name.subdomain(domain)) {
                throw new IllegalArgumentException("zonekeeper.zones: \"" + zone + "\" lies inside the cluster domain "
                        + domain + "; DnsRecords there are written under <namespace>.svc." + domain
                        + " without a zone entry");
            }
            if (!served.contains(name)) {
                served.add(name);
            }
        }
        Map<Name, Set<String>> writers = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : zoneWriters.entrySet()) {
            String key = "zonekeeper.zone-writers.\"" + entry.getKey() + "\"";
            Name zone = zoneName(key, entry.getKey());
            if (!served.contains(zone)) {
                throw new IllegalArgumentException(
                        key + ": zone " + zone + " is not listed in zonekeeper.zones " + served);
            }
            Set<String> namespaces = new LinkedHashSet<>();
            for (String ns : entry.getValue().split(",")) {
                String namespace = ns.trim();
                if (namespace.isEmpty()) {
                    continue;
                }
                if (!namespace.equals(ALL_NAMESPACES)
                        && !NAMESPACE.matcher(namespace).matches()) {
                    throw new IllegalArgumentException(key + ": \"" + namespace + "\" is not a namespace name "
                            + "(lower-case letters, digits and '-', or * for every namespace)");
                }
                namespaces.add(namespace);
            }
            writers.put(zone, Set.copyOf(namespaces));
        }
        return new ZoneSettings(domain, served, writers);
    }

    /** The served zone (not the cluster domain) that contains {@code name}, the most specific one. */
    public Optional<Name> zoneOf(Name name) {
        return zones.stream().filter(name::subdomain).findFirst();
    }

    /** Whether {@code name} lies inside the cluster domain. */
    public boolean inClusterDomain(Name name) {
        return name.subdomain(clusterDomain);
    }

    /** Whether {@code namespace} may write DnsRecords in {@code zone}. */
    public boolean mayWrite(Name zone, String namespace) {
        Set<String> allowed = writers.getOrDefault(zone, Set.of());
        return allowed.contains(ALL_NAMESPACES) || allowed.contains(namespace);
    }

    /** {@code <namespace>.svc.<cluster-domain>}: the part of the cluster domain a namespace may write. */
    public Name namespaceDomain(String namespace) {
        try {
            return Name.concatenate(Name.fromString(namespace + ".svc"), clusterDomain);
        } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
            throw new IllegalArgumentException("invalid namespace " + namespace, e);
        }
    }

    private static Name zoneName(String key, String value) {
        String text = value == null ? "" : value.trim().toLowerCase(java.util.Locale.ROOT);
        if (text.endsWith(".")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException(key + ": an empty zone name (or the root) cannot be served");
        }
        for (String label : text.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException(key + ": \"" + value + "\" is not a valid zone name (label \""
                        + label + "\" must be 1-63 letters, digits or '-', not starting or ending with '-')");
            }
        }
        try {
            return Name.fromString(text, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(
                    key + ": \"" + value + "\" is not a valid zone name: " + e.getMessage(), e);
        }
    }
}
