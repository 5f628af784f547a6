package dev.zonekeeper.operator.discovery;

import java.util.List;
import java.util.Objects;

/**
 * The DNS-relevant projection of a Pod.
 *
 * @param ips {@code status.podIPs} (falling back to {@code status.podIP}); empty before the pod has an address
 * @param phase {@code status.phase}, {@code ""} when unknown
 * @param deleted whether {@code metadata.deletionTimestamp} is set
 */
public record PodInfo(String namespace, String name, List<String> ips, String phase, boolean deleted) {

  public PodInfo {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    ips = ips == null ? List.of() : List.copyOf(ips);
    phase = phase == null ? "" : phase;
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
}
