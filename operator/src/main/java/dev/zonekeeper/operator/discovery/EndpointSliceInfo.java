package dev.zonekeeper.operator.discovery;

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
    endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
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
   * One endpoint of a slice.
   *
   * @param ready {@code conditions.ready}; {@code null} (unknown) counts as ready, as the API documents
   * @param serving {@code conditions.serving}; {@code null} when not reported
   * @param terminating {@code conditions.terminating}; {@code null} when not reported
   * @param hostname {@code hostname}, {@code ""} when absent
   * @param targetRefNamespace {@code targetRef.namespace} of a Pod target, {@code ""} when absent
   * @param targetRefName {@code targetRef.name} of a Pod target, {@code ""} when absent
   * @param nodeName {@code nodeName}, {@code ""} when absent
   */
  public record EndpointInfo(
      List<String> addresses,
      Boolean ready,
      Boolean serving,
      Boolean terminating,
      String hostname,
      String targetRefNamespace,
      String targetRefName,
      String nodeName) {

    public EndpointInfo {
      addresses = addresses == null ? List.of() : List.copyOf(addresses);
      hostname = hostname == null ? "" : hostname;
      targetRefNamespace = targetRefNamespace == null ? "" : targetRefNamespace;
      targetRefName = targetRefName == null ? "" : targetRefName;
      nodeName = nodeName == null ? "" : nodeName;
    }

    /** A ready endpoint with just addresses and an optional hostname: the common case, and handy in tests. */
    public static EndpointInfo ready(String hostname, String... addresses) {
      return new EndpointInfo(List.of(addresses), true, true, false, hostname, "", "", "");
    }

    /** A not-ready (but not terminating) endpoint. */
    public static EndpointInfo notReady(String hostname, String... addresses) {
      return new EndpointInfo(List.of(addresses), false, false, false, hostname, "", "", "");
    }

    /** A terminating endpoint that still serves. */
    public static EndpointInfo terminating(String hostname, String... addresses) {
      return new EndpointInfo(List.of(addresses), false, true, true, hostname, "", "", "");
    }

    /** {@code conditions.ready}, with unknown read as ready. */
    public boolean isReady() {
      return ready == null || ready;
    }

    public boolean isTerminating() {
      return terminating != null && terminating;
    }
  }
}
