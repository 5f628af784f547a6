package dev.zonekeeper.operator.discovery.parity;

import dev.zonekeeper.operator.discovery.EndpointSliceInfo;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo.EndpointInfo;
import dev.zonekeeper.operator.discovery.PodInfo;
import dev.zonekeeper.operator.discovery.PortInfo;
import dev.zonekeeper.operator.discovery.ServiceInfo;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.List;

/**
 * The test's own conversion of API objects, as read back from the API server, into the discovery projections: the
 * few fields the specification names, nothing else (the informer layer on the {@code pipeline} branch does the same
 * job for the running operator).
 */
final class KubeProjections {

    private KubeProjections() {}

    static ServiceInfo service(Service svc) {
        ServiceSpec spec = svc.getSpec();
        List<String> clusterIPs = new ArrayList<>();
        if (spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()) {
            clusterIPs.addAll(spec.getClusterIPs());
        } else if (spec.getClusterIP() != null && !spec.getClusterIP().isEmpty()) {
            clusterIPs.add(spec.getClusterIP());
        }
        List<PortInfo> ports = new ArrayList<>();
        for (ServicePort p : spec.getPorts() == null ? List.<ServicePort>of() : spec.getPorts()) {
            ports.add(new PortInfo(p.getName(), p.getProtocol(), p.getPort() == null ? 0 : p.getPort()));
        }
        return new ServiceInfo(
                svc.getMetadata().getNamespace(),
                svc.getMetadata().getName(),
                ServiceInfo.Type.parse(spec.getType()),
                clusterIPs,
                spec.getExternalName(),
                ports,
                Boolean.TRUE.equals(spec.getPublishNotReadyAddresses()));
    }

    static EndpointSliceInfo endpointSlice(EndpointSlice slice) {
        String serviceName = slice.getMetadata().getLabels() == null
                ? null
                : slice.getMetadata().getLabels().get(EndpointSliceInfo.SERVICE_NAME_LABEL);
        List<EndpointInfo> endpoints = new ArrayList<>();
        for (Endpoint e : slice.getEndpoints() == null ? List.<Endpoint>of() : slice.getEndpoints()) {
            EndpointConditions c = e.getConditions();
            endpoints.add(new EndpointInfo(
                    e.getAddresses(),
                    c == null ? null : c.getReady(),
                    c == null ? null : c.getServing(),
                    c == null ? null : c.getTerminating(),
                    e.getHostname()));
        }
        List<PortInfo> ports = new ArrayList<>();
        for (EndpointPort p : slice.getPorts() == null ? List.<EndpointPort>of() : slice.getPorts()) {
            ports.add(new PortInfo(p.getName(), p.getProtocol(), p.getPort() == null ? 0 : p.getPort()));
        }
        return new EndpointSliceInfo(
                slice.getMetadata().getNamespace(),
                slice.getMetadata().getName(),
                serviceName,
                EndpointSliceInfo.AddressType.parse(slice.getAddressType()),
                endpoints,
                ports);
    }

    static PodInfo pod(Pod pod) {
        List<String> ips = new ArrayList<>();
        if (pod.getStatus() != null) {
            for (PodIP ip : pod.getStatus().getPodIPs() == null
                    ? List.<PodIP>of()
                    : pod.getStatus().getPodIPs()) {
                if (ip.getIp() != null && !ip.getIp().isEmpty()) {
                    ips.add(ip.getIp());
                }
            }
            if (ips.isEmpty()
                    && pod.getStatus().getPodIP() != null
                    && !pod.getStatus().getPodIP().isEmpty()) {
                ips.add(pod.getStatus().getPodIP());
            }
        }
        return new PodInfo(
                pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(),
                ips,
                pod.getStatus() == null ? null : pod.getStatus().getPhase(),
                pod.getMetadata().getDeletionTimestamp() != null);
    }
}
