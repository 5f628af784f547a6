package dev.zonekeeper.operator.discovery;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The DNS-relevant projection of a {@code discovery.k8s.io/v1} EndpointSlice.
 *
 * @param serviceName the {@code kubernetes.io/service-name} label; {@code ""} when absent (the slice then feeds no
 *     service)
 * @param addressType {@code IPv4}, {@code IPv6} or {@code FQDN} (FQDN slices give no records)
 */
public record EndpointSliceInfo(
        String namespace,
        String name,
        String serviceName,
        AddressType addressType,
        List<EndpointInfo> endpoints,
        List<PortInfo> ports) {

    /** The label that ties an EndpointSlice to its Service. */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    /** {@code addressType}. */
    public enum AddressType {
        IPv4,
        IPv6,
        FQDN;

        public static AddressType parse(String s) {
            for (AddressType t : values()) {
                if (t.name().equals(s)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown EndpointSlice addressType '" + s + "'");
        }
    }

    public EndpointSliceInfo {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        serviceName = serviceName == null ? "" : serviceName;
        addressType = addressType == null ? AddressType.IPv4 : addressType;
        endpoints = endpoints == null ? List.of() : PackedEndpoints.of(endpoints);
        ports = ports == null ? List.of() : List.copyOf(ports);
    }

    public ObjectKey key() {
        return new ObjectKey(namespace, name);
    }

    /** The key of the Service this slice belongs to, or {@code null} when it has no service-name label. */
    public ObjectKey serviceKey() {
        return serviceName.isEmpty() ? null : new ObjectKey(namespace, serviceName);
    }

    /**
     * One endpoint of a slice: its addresses, conditions and hostname, which is all the zone is built from. A slice
     * keeps its endpoints packed ({@link PackedEndpoints}); these are made when read.
     */
    public static final class EndpointInfo {
        // conditions, two bits each: 0 not reported, 1 false, 2 true
        private static final int READY = 0;
        private static final int SERVING = 2;
        private static final int TERMINATING = 4;

        private final byte[] addresses;
        private final byte conditions;
        private final String hostname;

        /**
         * @param addresses {@code addresses}; strings that are not IP literals are dropped (they give no records)
         * @param ready {@code conditions.ready}; {@code null} (unknown) counts as ready, as the API documents
         * @param serving {@code conditions.serving}; {@code null} when not reported
         * @param terminating {@code conditions.terminating}; {@code null} when not reported
         * @param hostname {@code hostname}, {@code ""} when absent
         */
        public EndpointInfo(
                List<String> addresses, Boolean ready, Boolean serving, Boolean terminating, String hostname) {
            this.addresses = PackedAddresses.pack(addresses);
            this.conditions = (byte) (bits(ready, READY) | bits(serving, SERVING) | bits(terminating, TERMINATING));
            this.hostname = hostname == null ? "" : hostname;
        }

        EndpointInfo(byte[] packedAddresses, byte packedConditions, String hostname) {
            this.addresses = packedAddresses;
            this.conditions = packedConditions;
            this.hostname = hostname;
        }

        byte[] packedAddresses() {
            return addresses;
        }

        byte packedConditions() {
            return conditions;
        }

        private static int bits(Boolean b, int shift) {
            return (b == null ? 0 : b ? 2 : 1) << shift;
        }

        private Boolean condition(int shift) {
            int v = (conditions >> shift) & 3;
            return v == 0 ? null : v == 2;
        }

        /** A ready endpoint with just addresses and an optional hostname: the common case, and handy in tests. */
        public static EndpointInfo ready(String hostname, String... addresses) {
            return new EndpointInfo(List.of(addresses), true, true, false, hostname);
        }

        /** A not-ready (but not terminating) endpoint. */
        public static EndpointInfo notReady(String hostname, String... addresses) {
            return new EndpointInfo(List.of(addresses), false, false, false, hostname);
        }

        /** A terminating endpoint that still serves. */
        public static EndpointInfo terminating(String hostname, String... addresses) {
            return new EndpointInfo(List.of(addresses), false, true, true, hostname);
        }

        /** The IP addresses (IPv6 in RFC 5952 text). */
        public List<String> addresses() {
            return PackedAddresses.texts(addresses);
        }

        /** The IP addresses, parsed. */
        public List<InetAddress> inetAddresses() {
            return PackedAddresses.unpack(addresses);
        }

        public Boolean ready() {
            return condition(READY);
        }

        public Boolean serving() {
            return condition(SERVING);
        }

        public Boolean terminating() {
            return condition(TERMINATING);
        }

        public String hostname() {
            return hostname;
        }

        /** {@code conditions.ready}, with unknown read as ready. */
        public boolean isReady() {
            return !Boolean.FALSE.equals(ready());
        }

        public boolean isTerminating() {
            return Boolean.TRUE.equals(terminating());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof EndpointInfo e
                    && conditions == e.conditions
                    && hostname.equals(e.hostname)
                    && Arrays.equals(addresses, e.addresses);
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(addresses), conditions, hostname);
        }

        @Override
        public String toString() {
            return "EndpointInfo[addresses=" + addresses() + ", ready=" + ready() + ", serving=" + serving()
                    + ", terminating=" + terminating() + ", hostname=" + hostname + "]";
        }
    }
}
