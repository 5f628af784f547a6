package dev.zonekeeper.operator.discovery;

import java.util.List;
import java.util.Objects;

/**
 * The DNS-relevant projection of a Kubernetes Service. Two projections are {@code equals} exactly when they carry
 * the same DNS data, so the informer layer can skip updates (status, labels, annotations...) that change no record.
 *
 * @param clusterIPs {@code spec.clusterIPs} (falling back to {@code spec.clusterIP}); {@code ["None"]} or empty
 *     means headless
 * @param externalName {@code spec.externalName}, {@code ""} when absent
 * @param publishNotReadyAddresses {@code spec.publishNotReadyAddresses}
 */
public record ServiceInfo(
        String namespace,
        String name,
        Type type,
        List<String> clusterIPs,
        String externalName,
        List<PortInfo> ports,
        boolean publishNotReadyAddresses) {

    /** The literal Kubernetes uses in {@code spec.clusterIP} for a headless Service. */
    public static final String CLUSTER_IP_NONE = "None";

    /** {@code spec.type}. */
    public enum Type {
        ClusterIP,
        NodePort,
        LoadBalancer,
        ExternalName;

        /** Parses {@code spec.type}; a missing type is {@code ClusterIP}, as in the API. */
        public static Type parse(String s) {
            if (s == null || s.isEmpty()) {
                return ClusterIP;
            }
            for (Type t : values()) {
                if (t.name().equals(s)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown Service type '" + s + "'");
        }
    }

    public ServiceInfo {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        type = type == null ? Type.ClusterIP : type;
        clusterIPs = clusterIPs == null ? List.of() : List.copyOf(clusterIPs);
        externalName = externalName == null ? "" : externalName;
        ports = ports == null ? List.of() : List.copyOf(ports);
    }

    public ObjectKey key() {
        return new ObjectKey(namespace, name);
    }

    /** Headless: no cluster IP ({@code None}, or none allocated), and not an ExternalName service. */
    public boolean headless() {
        return type != Type.ExternalName && (clusterIPs.isEmpty() || CLUSTER_IP_NONE.equals(clusterIPs.get(0)));
    }
}
