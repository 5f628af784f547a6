package dev.zonekeeper.operator.informers;

import dev.zonekeeper.operator.discovery.EndpointSliceInfo;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo.EndpointInfo;
import dev.zonekeeper.operator.discovery.PodInfo;
import dev.zonekeeper.operator.discovery.PortInfo;
import dev.zonekeeper.operator.discovery.ServiceInfo;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns Fabric8 API objects into the slim projections of {@link dev.zonekeeper.operator.discovery}, which is all the
 * informer caches keep ({@link ProjectionStore}). Pure and stateless. Strings drawn from small sets (namespaces,
 * phases, protocols and port names) are interned, so 150,000 Pods in a few namespaces share their namespace
 * strings instead of holding one copy each as parsed from the API server's JSON.
 */
public final class Projections {

    private Projections() {}

    // --- projections ------------------------------------------------------------------------------------------------

    /**
     * The DNS view of a Service: {@code spec.clusterIPs}, falling back to {@code spec.clusterIP}.
     *
     * @throws IllegalArgumentException for an unknown {@code spec.type}
     */
    public static ServiceInfo service(Service svc) {
        ObjectMeta meta = svc.getMetadata();
        ServiceSpec spec = svc.getSpec() == null ? new ServiceSpec() : svc.getSpec();
        List<String> clusterIPs =
                spec.getClusterIPs() == null || spec.getClusterIPs().isEmpty()
                        ? (spec.getClusterIP() == null || spec.getClusterIP().isEmpty()
                                ? List.of()
                                : List.of(spec.getClusterIP()))
                        : spec.getClusterIPs();
        List<PortInfo> ports = new ArrayList<>();
        if (spec.getPorts() != null) {
            for (ServicePort p : spec.getPorts()) {
                ports.add(new PortInfo(
                        intern(p.getName()), intern(p.getProtocol()), p.getPort() == null ? 0 : p.getPort()));
            }
        }
        return new ServiceInfo(
                intern(meta.getNamespace()),
                meta.getName(),
                ServiceInfo.Type.parse(spec.getType()),
                clusterIPs,
                spec.getExternalName(),
                ports,
                Boolean.TRUE.equals(spec.getPublishNotReadyAddresses()));
    }

    /**
     * The DNS view of an EndpointSlice; its Service is named by the {@code kubernetes.io/service-name} label.
     *
     * @throws IllegalArgumentException for an unknown {@code addressType}
     */
    public static EndpointSliceInfo endpointSlice(EndpointSlice slice) {
        ObjectMeta meta = slice.getMetadata();
        Map<String, String> labels = meta.getLabels();
        String serviceName = labels == null ? null : labels.get(EndpointSliceInfo.SERVICE_NAME_LABEL);
        List<EndpointInfo> endpoints = new ArrayList<>();
        if (slice.getEndpoints() != null) {
            for (Endpoint e : slice.getEndpoints()) {
                EndpointConditions c = e.getConditions();
                endpoints.add(new EndpointInfo(
                        e.getAddresses(),
                        c == null ? null : c.getReady(),
                        c == null ? null : c.getServing(),
                        c == null ? null : c.getTerminating(),
                        e.getHostname()));
            }
        }
        List<PortInfo> ports = new ArrayList<>();
        if (slice.getPorts() != null) {
            for (EndpointPort p : slice.getPorts()) {
                ports.add(new PortInfo(
                        intern(p.getName()), intern(p.getProtocol()), p.getPort() == null ? 0 : p.getPort()));
            }
        }
        return new EndpointSliceInfo(
                intern(meta.getNamespace()),
                meta.getName(),
                serviceName,
                EndpointSliceInfo.AddressType.parse(slice.getAddressType()),
                endpoints,
                ports);
    }

    /** The DNS view of a Pod: {@code status.podIPs}, falling back to {@code status.podIP}. */
    public static PodInfo pod(Pod pod) {
        ObjectMeta meta = pod.getMetadata();
        PodStatus status = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        List<String> ips = new ArrayList<>();
        if (status.getPodIPs() != null) {
            for (PodIP ip : status.getPodIPs()) {
                if (ip.getIp() != null && !ip.getIp().isEmpty()) {
                    ips.add(ip.getIp());
                }
            }
        }
        if (ips.isEmpty() && status.getPodIP() != null && !status.getPodIP().isEmpty()) {
            ips.add(status.getPodIP());
        }
        return new PodInfo(
                intern(meta.getNamespace()),
                meta.getName(),
                ips,
                intern(status.getPhase()),
                meta.getDeletionTimestamp() != null);
    }

    /** The canonical copy of a string from a small set (namespaces, phases, protocols and port names). */
    private static String intern(String s) {
        return s == null ? null : s.intern();
    }
}
