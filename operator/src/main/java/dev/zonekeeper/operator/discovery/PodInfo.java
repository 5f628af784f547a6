package dev.zonekeeper.operator.discovery;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The DNS-relevant projection of a Pod: its identity, addresses, phase and whether it is being deleted (kept compact: a
 * large cluster holds one per pod).
 */
public final class PodInfo {
    private final String namespace;
    private final String name;
    private final byte[] ips;
    private final String phase;
    private final boolean deleted;

    /**
     * @param ips {@code status.podIPs} (falling back to {@code status.podIP}); empty before the pod has an address;
     *     strings that are not IP literals are dropped (they give no records)
     * @param phase {@code status.phase}, {@code ""} when unknown
     * @param deleted whether {@code metadata.deletionTimestamp} is set
     */
    public PodInfo(String namespace, String name, List<String> ips, String phase, boolean deleted) {
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.name = Objects.requireNonNull(name, "name");
        this.ips = PackedAddresses.pack(ips);
        this.phase = phase == null ? "" : phase;
        this.deleted = deleted;
    }

    public String namespace() {
        return namespace;
    }

    public String name() {
        return name;
    }

    /** The pod's IP addresses (IPv6 in RFC 5952 text). */
    public List<String> ips() {
        return PackedAddresses.texts(ips);
    }

    /** The pod's IP addresses, parsed. */
    public List<InetAddress> inetAddresses() {
        return PackedAddresses.unpack(ips);
    }

    public String phase() {
        return phase;
    }

    public boolean deleted() {
        return deleted;
    }

    public ObjectKey key() {
        return new ObjectKey(namespace, name);
    }

    /**
     * Whether the pod gets {@code <dashed-ip>.<ns>.pod.<zone>} records: it is not being deleted and its phase is not
     * {@code Succeeded}, {@code Failed} or {@code Unknown} (a terminated pod no longer holds its address, which may
     * already belong to another pod). CoreDNS watches pods with exactly this phase filter.
     */
    public boolean live() {
        return !deleted && !"Succeeded".equals(phase) && !"Failed".equals(phase) && !"Unknown".equals(phase);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PodInfo p
                && deleted == p.deleted
                && namespace.equals(p.namespace)
                && name.equals(p.name)
                && phase.equals(p.phase)
                && Arrays.equals(ips, p.ips);
    }

    @Override
    public int hashCode() {
        return Objects.hash(namespace, name, Arrays.hashCode(ips), phase, deleted);
    }

    @Override
    public String toString() {
        return "PodInfo[namespace=" + namespace + ", name=" + name + ", ips=" + ips() + ", phase=" + phase
                + ", deleted=" + deleted + "]";
    }
}
