package dev.zonekeeper.operator.informers;

import dev.zonekeeper.operator.discovery.EndpointSliceInfo;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo.EndpointInfo;
import dev.zonekeeper.operator.discovery.PodInfo;
import dev.zonekeeper.operator.discovery.PortInfo;
import dev.zonekeeper.operator.discovery.ServiceInfo;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceSpecBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns Fabric8 API objects into the slim projections of {@link dev.zonekeeper.operator.discovery}, and into slim
 * copies for the informer caches ({@link SlimItemStore}). Pure and stateless.
 *
 * <p>Invariant (tested): {@code project(slim(x)).equals(project(x))} for every object, so the cache can hold the slim
 * copy and an update can be compared against it.
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
    List<String> clusterIPs = spec.getClusterIPs() == null || spec.getClusterIPs().isEmpty()
        ? (spec.getClusterIP() == null || spec.getClusterIP().isEmpty() ? List.of() : List.of(spec.getClusterIP()))
        : spec.getClusterIPs();
    List<PortInfo> ports = new ArrayList<>();
    if (spec.getPorts() != null) {
      for (ServicePort p : spec.getPorts()) {
        ports.add(new PortInfo(p.getName(), p.getProtocol(), p.getPort() == null ? 0 : p.getPort()));
      }
    }
    return new ServiceInfo(meta.getNamespace(), meta.getName(), ServiceInfo.Type.parse(spec.getType()), clusterIPs,
        spec.getExternalName(), ports, Boolean.TRUE.equals(spec.getPublishNotReadyAddresses()));
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
        ObjectReference ref = e.getTargetRef();
        boolean podRef = ref != null && (ref.getKind() == null || "Pod".equals(ref.getKind()));
        endpoints.add(new EndpointInfo(e.getAddresses(),
            c == null ? null : c.getReady(),
            c == null ? null : c.getServing(),
            c == null ? null : c.getTerminating(),
            e.getHostname(),
            podRef ? ref.getNamespace() : null,
            podRef ? ref.getName() : null,
            e.getNodeName()));
      }
    }
    List<PortInfo> ports = new ArrayList<>();
    if (slice.getPorts() != null) {
      for (EndpointPort p : slice.getPorts()) {
        ports.add(new PortInfo(p.getName(), p.getProtocol(), p.getPort() == null ? 0 : p.getPort()));
      }
    }
    return new EndpointSliceInfo(meta.getNamespace(), meta.getName(), serviceName,
        EndpointSliceInfo.AddressType.parse(slice.getAddressType()), endpoints, ports);
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
    return new PodInfo(meta.getNamespace(), meta.getName(), ips, status.getPhase(),
        meta.getDeletionTimestamp() != null);
  }

  // --- slim copies for the informer caches ------------------------------------------------------------------------

  /**
   * The metadata an informer cache needs: identity, {@code resourceVersion} (Fabric8 tells a resync from a change by
   * it) and {@code deletionTimestamp}; labels only as listed in {@code keepLabels}.
   */
  static ObjectMeta slimMeta(ObjectMeta meta, String... keepLabels) {
    ObjectMetaBuilder b = new ObjectMetaBuilder()
        .withNamespace(meta.getNamespace())
        .withName(meta.getName())
        .withUid(meta.getUid())
        .withResourceVersion(meta.getResourceVersion())
        .withDeletionTimestamp(meta.getDeletionTimestamp());
    if (meta.getLabels() != null) {
      for (String label : keepLabels) {
        String value = meta.getLabels().get(label);
        if (value != null) {
          b.addToLabels(label, value);
        }
      }
    }
    return b.build();
  }

  /** A DnsRecord with only what {@link dev.zonekeeper.operator.reconciler.RecordClaim#of} reads (no status). */
  public static dev.zonekeeper.operator.api.v1alpha1.DnsRecord slim(
      dev.zonekeeper.operator.api.v1alpha1.DnsRecord record) {
    var slim = new dev.zonekeeper.operator.api.v1alpha1.DnsRecord();
    slim.setMetadata(new ObjectMetaBuilder(slimMeta(record.getMetadata()))
        .withCreationTimestamp(record.getMetadata().getCreationTimestamp()).build());
    slim.setSpec(record.getSpec());
    return slim;
  }

  /** A Service with only the fields {@link #service} reads. */
  public static Service slim(Service svc) {
    Service out = new Service();
    out.setMetadata(slimMeta(svc.getMetadata()));
    ServiceSpec spec = svc.getSpec();
    if (spec != null) {
      ServiceSpecBuilder b = new ServiceSpecBuilder()
          .withType(spec.getType())
          .withClusterIP(spec.getClusterIP())
          .withClusterIPs(spec.getClusterIPs())
          .withExternalName(spec.getExternalName())
          .withPublishNotReadyAddresses(spec.getPublishNotReadyAddresses());
      if (spec.getPorts() != null) {
        for (ServicePort p : spec.getPorts()) {
          b.addToPorts(new ServicePortBuilder().withName(p.getName()).withProtocol(p.getProtocol())
              .withPort(p.getPort()).build());
        }
      }
      out.setSpec(b.build());
    }
    return out;
  }

  /** An EndpointSlice with only the fields {@link #endpointSlice} reads. */
  public static EndpointSlice slim(EndpointSlice slice) {
    EndpointSlice out = new EndpointSlice();
    out.setMetadata(slimMeta(slice.getMetadata(), EndpointSliceInfo.SERVICE_NAME_LABEL));
    out.setAddressType(slice.getAddressType());
    if (slice.getEndpoints() != null) {
      List<Endpoint> endpoints = new ArrayList<>(slice.getEndpoints().size());
      for (Endpoint e : slice.getEndpoints()) {
        EndpointBuilder b = new EndpointBuilder()
            .withAddresses(e.getAddresses())
            .withHostname(e.getHostname())
            .withNodeName(e.getNodeName());
        EndpointConditions c = e.getConditions();
        if (c != null) {
          b.withConditions(new EndpointConditionsBuilder().withReady(c.getReady()).withServing(c.getServing())
              .withTerminating(c.getTerminating()).build());
        }
        ObjectReference ref = e.getTargetRef();
        if (ref != null) {
          b.withTargetRef(new ObjectReferenceBuilder().withKind(ref.getKind()).withNamespace(ref.getNamespace())
              .withName(ref.getName()).build());
        }
        endpoints.add(b.build());
      }
      out.setEndpoints(endpoints);
    }
    if (slice.getPorts() != null) {
      List<EndpointPort> ports = new ArrayList<>(slice.getPorts().size());
      for (EndpointPort p : slice.getPorts()) {
        ports.add(new EndpointPortBuilder().withName(p.getName()).withProtocol(p.getProtocol()).withPort(p.getPort())
            .build());
      }
      out.setPorts(ports);
    }
    return out;
  }

  /** A Pod with only the fields {@link #pod} reads (no spec at all: the bulk of a Pod). */
  public static Pod slim(Pod pod) {
    Pod out = new Pod();
    out.setMetadata(slimMeta(pod.getMetadata()));
    PodStatus status = pod.getStatus();
    if (status != null) {
      out.setStatus(new PodStatusBuilder().withPhase(status.getPhase()).withPodIP(status.getPodIP())
          .withPodIPs(status.getPodIPs()).build());
    }
    return out;
  }
}
