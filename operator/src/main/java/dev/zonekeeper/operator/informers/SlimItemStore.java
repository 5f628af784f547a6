package dev.zonekeeper.operator.informers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.function.UnaryOperator;

/**
 * An informer item store that keeps a slim copy of each object (only what DNS needs), so a cluster's Pods are not held
 * with their whole specs, managed fields and annotations. Event handlers still receive the full new object; the old
 * object of an update is the slim copy.
 */
final class SlimItemStore<T extends HasMetadata> extends BasicItemStore<T> {

  private final UnaryOperator<T> slimmer;

  SlimItemStore(UnaryOperator<T> slimmer) {
    super(Cache::metaNamespaceKeyFunc);
    this.slimmer = slimmer;
  }

  @Override
  public T put(String key, T obj) {
    return super.put(key, slimmer.apply(obj));
  }
}
