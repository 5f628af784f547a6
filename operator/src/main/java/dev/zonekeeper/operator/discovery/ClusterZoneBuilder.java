package dev.zonekeeper.operator.discovery;

import dev.zonekeeper.dns.zone.ZoneApex;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;

/**
 * Builds the records of the Kubernetes cluster zone (DNS-Based Service Discovery specification 1.1.0) from slim
 * projections of Services, EndpointSlices and Pods. Pure: no I/O, no clock, no Kubernetes client; the same inputs
 * give the same records. See {@code package-info.java} for the choices made where the specification leaves room.
 *
 * <p>Every method returns records sorted in DNSSEC canonical order (dnsjava's {@link Record#compareTo}). Records
 * whose owner is under {@code in-addr.arpa.} or {@code ip6.arpa.} are reverse records ({@link #isReverse}); the
 * caller routes them into whichever reverse zones it serves.
 */
public final class ClusterZoneBuilder {

    /** The schema version published at {@code dns-version.<zone>}. */
    public static final String SCHEMA_VERSION = "1.1.0";

    public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";

    /** CoreDNS's default TTL for the kubernetes plugin. */
    public static final long DEFAULT_TTL = 5;

    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Name IN_ADDR_ARPA = Name.fromConstantString("in-addr.arpa.");
    private static final Name IP6_ARPA = Name.fromConstantString("ip6.arpa.");

    private final Name domain;
    private final Name svcBase;
    private final Name podBase;
    private final Name nsName;
    private final long ttl;
    private final List<InetAddress> dnsServiceIps;

    /**
     * @param clusterDomain the cluster domain, e.g. {@code cluster.local} (a trailing dot is optional)
     * @param ttl the TTL of every record, in seconds (0..2147483647)
     * @param dnsServiceIps addresses of the cluster DNS service, published as {@code ns.dns.<zone>} A/AAAA; may be empty
     * @throws IllegalArgumentException for an invalid domain, TTL or address, naming it
     */
    public ClusterZoneBuilder(String clusterDomain, long ttl, List<String> dnsServiceIps) {
        Objects.requireNonNull(clusterDomain, "clusterDomain");
        String d = clusterDomain.trim().toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.isEmpty()) {
            throw new IllegalArgumentException("cluster domain must not be empty");
        }
        for (String label : d.split("\\.", -1)) {
            if (!DNS1123_LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("invalid cluster domain '" + clusterDomain + "': label '" + label
                        + "' is not a DNS-1123 label");
            }
        }
        if (ttl < 0 || ttl > 0x7FFFFFFFL) {
            throw new IllegalArgumentException("invalid TTL " + ttl + ": must be between 0 and 2147483647");
        }
        try {
            this.domain = Name.fromString(d + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("invalid cluster domain '" + clusterDomain + "': " + e.getMessage(), e);
        }
        this.ttl = ttl;
        this.svcBase = child("svc", domain);
        this.podBase = child("pod", domain);
        this.nsName = ZoneApex.nameServer(domain);
        List<InetAddress> ips = new ArrayList<>();
        for (String s : dnsServiceIps == null ? List.<String>of() : dnsServiceIps) {
            InetAddress ip = IpAddresses.parse(s);
            if (ip == null) {
                throw new IllegalArgumentException("invalid DNS service IP '" + s + "': not an IPv4 or IPv6 address");
            }
            ips.add(ip);
        }
        this.dnsServiceIps = List.copyOf(ips);
    }

    /** {@code cluster.local}, TTL 5, no DNS service address. */
    public static ClusterZoneBuilder defaults() {
        return new ClusterZoneBuilder(DEFAULT_CLUSTER_DOMAIN, DEFAULT_TTL, List.of());
    }

    public Name domain() {
        return domain;
    }

    public long ttl() {
        return ttl;
    }

    /** Whether a record belongs to a reverse zone ({@code in-addr.arpa.} or {@code ip6.arpa.}). */
    public static boolean isReverse(Record r) {
        return r.getName().subdomain(IN_ADDR_ARPA) || r.getName().subdomain(IP6_ARPA);
    }

    /** The SOA of the cluster zone: {@code ns.dns.<zone>. hostmaster.<zone>. <serial> 7200 1800 86400 <ttl>}. */
    public SOARecord soa(long serial) {
        // SOA timers as CoreDNS sets them for its kubernetes zones; the minimum (negative-caching TTL) is the record
        // TTL
        return ZoneApex.soa(domain, domain, ttl, serial);
    }

    /** The fixed records at and near the apex (no SOA): NS, the name server's addresses, {@code dns-version} TXT. */
    public List<Record> apexRecords() {
        Set<Record> out = new TreeSet<>();
        out.add(ZoneApex.ns(domain, domain, ttl));
        for (InetAddress ip : dnsServiceIps) {
            out.add(address(nsName, ip));
        }
        out.add(new TXTRecord(child("dns-version", domain), DClass.IN, ttl, SCHEMA_VERSION));
        return List.copyOf(out);
    }

    /** The name {@code <service>.<ns>.svc.<zone>.}. */
    public Name serviceName(String namespace, String name) {
        return child(label(name, "service name"), child(label(namespace, "namespace"), svcBase));
    }

    /**
     * All records (forward and reverse) that one Service produces, given the EndpointSlices of the cluster; slices
     * of other services are ignored, so the caller may pass just this service's slices or any superset.
     *
     * @throws IllegalArgumentException when the service's name or namespace is not a DNS label
     */
    public List<Record> serviceRecords(ServiceInfo svc, Collection<EndpointSliceInfo> slices) {
        Set<Record> out = new TreeSet<>();
        Name name = serviceName(svc.namespace(), svc.name());
        if (svc.type() == ServiceInfo.Type.ExternalName) {
            externalName(svc, name, out);
        } else if (!svc.headless()) {
            clusterIp(svc, name, out);
        } else {
            headless(svc, name, slices == null ? List.of() : slices, out);
        }
        return List.copyOf(out);
    }

    /** The {@code <dashed-ip>.<ns>.pod.<zone>} A/AAAA records of a live pod (one per pod IP); none otherwise. */
    public List<Record> podRecords(PodInfo pod) {
        if (!pod.live()) {
            return List.of();
        }
        Name nsBase = child(label(pod.namespace(), "namespace"), podBase);
        Set<Record> out = new TreeSet<>();
        for (InetAddress ip : pod.inetAddresses()) {
            out.add(address(child(IpAddresses.dashed(ip), nsBase), ip));
        }
        return List.copyOf(out);
    }

    /** The whole cluster zone and its reverse records from the current projections. */
    public ClusterZoneData build(
            long serial,
            Collection<ServiceInfo> services,
            Collection<EndpointSliceInfo> slices,
            Collection<PodInfo> pods) {
        Map<ObjectKey, List<EndpointSliceInfo>> byService = new HashMap<>();
        for (EndpointSliceInfo slice : slices) {
            if (slice.serviceKey() != null) {
                byService
                        .computeIfAbsent(slice.serviceKey(), k -> new ArrayList<>())
                        .add(slice);
            }
        }
        Set<Record> all = new TreeSet<>();
        all.add(soa(serial));
        all.addAll(apexRecords());
        for (ServiceInfo svc : services) {
            all.addAll(serviceRecords(svc, byService.getOrDefault(svc.key(), List.of())));
        }
        for (PodInfo pod : pods) {
            all.addAll(podRecords(pod));
        }
        return ClusterZoneData.of(all);
    }

    // --- per service type -----------------------------------------------------------------------------------------

    private void externalName(ServiceInfo svc, Name name, Set<Record> out) {
        String ext = svc.externalName().trim();
        // CoreDNS answers only when the external name is a host name: an IP literal gives no record at all.
        if (ext.isEmpty() || IpAddresses.isLiteral(ext)) {
            return;
        }
        Name target;
        try {
            target = Name.fromString(ext.endsWith(".") ? ext : ext + ".");
        } catch (TextParseException e) {
            return; // the API server validates externalName as a DNS-1123 subdomain; anything else gives no record
        }
        out.add(new CNAMERecord(name, DClass.IN, ttl, target));
    }

    private void clusterIp(ServiceInfo svc, Name name, Set<Record> out) {
        Map<Name, SrvSet> srv = new TreeMap<>();
        for (String s : svc.clusterIPs()) {
            InetAddress ip = IpAddresses.parse(s);
            if (ip == null) {
                continue;
            }
            out.add(address(name, ip));
            out.add(new PTRRecord(ReverseMap.fromAddress(ip), DClass.IN, ttl, name));
            // one SRV entry per cluster IP and port, as CoreDNS counts them for the weight (a dual-stack service's
            // identical records collapse into one, weight 50)
            for (PortInfo p : svc.ports()) {
                addSrv(srv, name, p, name);
            }
        }
        emitSrv(srv, out);
    }

    private void headless(ServiceInfo svc, Name name, Collection<EndpointSliceInfo> slices, Set<Record> out) {
        Map<Name, SrvSet> srv = new TreeMap<>();
        for (EndpointSliceInfo slice : slices) {
            if (!svc.key().equals(slice.serviceKey()) || slice.addressType() == EndpointSliceInfo.AddressType.FQDN) {
                continue;
            }
            for (EndpointSliceInfo.EndpointInfo ep : slice.endpoints()) {
                if (!published(svc, ep)) {
                    continue;
                }
                for (InetAddress ip : ep.inetAddresses()) {
                    if (!matchesFamily(slice.addressType(), ip)) {
                        continue;
                    }
                    Name host = child(endpointLabel(ep, ip), name);
                    out.add(address(name, ip));
                    out.add(address(host, ip));
                    out.add(new PTRRecord(ReverseMap.fromAddress(ip), DClass.IN, ttl, host));
                    for (PortInfo p : slice.ports()) {
                        addSrv(srv, name, p, host);
                    }
                }
            }
        }
        emitSrv(srv, out);
    }

    /**
     * Whether an endpoint is published: every endpoint when the service publishes not-ready addresses; otherwise a
     * ready one (unknown readiness counts as ready) that is not terminating.
     */
    static boolean published(ServiceInfo svc, EndpointSliceInfo.EndpointInfo ep) {
        return svc.publishNotReadyAddresses() || (ep.isReady() && !ep.isTerminating());
    }

    /** The endpoint's hostname if it is a valid DNS label, else the dashed address (CoreDNS's default). */
    static String endpointLabel(EndpointSliceInfo.EndpointInfo ep, InetAddress ip) {
        String h = ep.hostname().toLowerCase(Locale.ROOT);
        return DNS1123_LABEL.matcher(h).matches() ? h : IpAddresses.dashed(ip);
    }

    private static boolean matchesFamily(EndpointSliceInfo.AddressType type, InetAddress ip) {
        return (type == EndpointSliceInfo.AddressType.IPv4) == (ip instanceof Inet4Address);
    }

    // --- SRV ------------------------------------------------------------------------------------------------------

    private record SrvTarget(int port, Name target) implements Comparable<SrvTarget> {
        @Override
        public int compareTo(SrvTarget o) {
            int c = Integer.compare(port, o.port);
            return c != 0 ? c : target.compareTo(o.target);
        }
    }

    /** The distinct targets of one SRV RRset, and how many (address, port) entries produced them. */
    private static final class SrvSet {
        final Set<SrvTarget> targets = new TreeSet<>();
        int entries;

        void add(SrvTarget t) {
            targets.add(t);
            entries++;
        }
    }

    /**
     * Adds the SRV entry of one address and port: always at the service name itself (CoreDNS answers SRV there for
     * every port), and at {@code _<port>._<proto>.<service>} for a named port (the specification's record).
     */
    private static void addSrv(Map<Name, SrvSet> srv, Name service, PortInfo p, Name target) {
        if (!p.usable()) {
            return;
        }
        SrvTarget t = new SrvTarget(p.port(), target);
        srv.computeIfAbsent(service, k -> new SrvSet()).add(t);
        if (p.named()) {
            String portName = p.name().toLowerCase(Locale.ROOT);
            if (!PORT_NAME.matcher(portName).matches()) {
                return;
            }
            Name owner = child("_" + portName, child("_" + p.protocol().toLowerCase(Locale.ROOT), service));
            srv.computeIfAbsent(owner, k -> new SrvSet()).add(t);
        }
    }

    /**
     * Priority 0 and, as CoreDNS, a weight of 100 split evenly over the N entries behind the RRset (at least 1), N
     * counting every (address, port) pair before identical records collapse: a target with both an IPv4 and an IPv6
     * address counts twice, as do two ports with the same number (UDP and TCP 53).
     */
    private void emitSrv(Map<Name, SrvSet> srv, Set<Record> out) {
        for (Map.Entry<Name, SrvSet> e : srv.entrySet()) {
            int weight = Math.max(1, 100 / e.getValue().entries);
            for (SrvTarget t : e.getValue().targets) {
                out.add(new SRVRecord(e.getKey(), DClass.IN, ttl, 0, weight, t.port(), t.target()));
            }
        }
    }

    // --- names and records ----------------------------------------------------------------------------------------

    private Record address(Name name, InetAddress ip) {
        return ip instanceof Inet4Address
                ? new ARecord(name, DClass.IN, ttl, ip)
                : new AAAARecord(name, DClass.IN, ttl, ip);
    }

    private static String label(String s, String what) {
        String l = s.toLowerCase(Locale.ROOT);
        if (!DNS1123_LABEL.matcher(l).matches()) {
            throw new IllegalArgumentException("invalid " + what + " '" + s + "': not a DNS-1123 label");
        }
        return l;
    }

    private static Name child(String label, Name parent) {
        try {
            return Name.concatenate(Name.fromString(label), parent);
        } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
            throw new IllegalArgumentException("cannot build a DNS name from '" + label + "." + parent + "'", e);
        }
    }
}
