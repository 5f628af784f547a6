package dev.zonekeeper.operator.informers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * An informer item store that keeps, per object, only its DNS projection and its {@code resourceVersion}: no Fabric8
 * model object at all. A Fabric8 object, even stripped to the fields DNS reads, is large (every model object carries
 * an {@code additionalProperties} map and initialised lists): slim copies of 10,000 Services, 10,000 EndpointSlices
 * and 150,000 Pods took 317 MB of heap; with this store the caches and the zone state together take 238 MB.
 *
 * <p>Fabric8 still gets objects of its type from {@link #get}, {@link #put} and {@link #values}: stubs made on demand
 * with the identity and {@code resourceVersion} (all the informer itself reads: it tells an update from a resync by
 * the version, and a relist's deletions by the key) that carry the projection ({@link Stub}), so the old object of an
 * update event can be compared with the new one without being re-projected.
 *
 * <p>An object whose projection fails (an unknown Service type...) is kept with the error instead, so its key is
 * known to the informer and its deletion is still delivered.
 */
final class ProjectionStore<T extends HasMetadata, P> implements ItemStore<T> {

    /** A stub of the store: a Fabric8 object with identity and version only, and the projection it stands for. */
    interface Stub<P> {
        /** The projection, or null when the object could not be projected. */
        P projection();
    }

    /**
     * What is kept per object. A {@code resourceVersion} is opaque to clients, but the API server's are decimal
     * numbers: such a version is kept as a {@code long} ({@code versionText} null) instead of a string, which saves
     * about 40 bytes per object; any other text is kept as it is.
     */
    record Entry<P>(long versionNumber, String versionText, P projection, String error) {
        static <P> Entry<P> of(String resourceVersion, P projection, String error) {
            long n = decimal(resourceVersion);
            return new Entry<>(n, n < 0 ? resourceVersion : null, projection, error);
        }

        String resourceVersion() {
            return versionText != null || versionNumber < 0 ? versionText : Long.toString(versionNumber);
        }

        /** The value of a canonical non-negative decimal (no sign, no leading zero) that fits a long, else -1. */
        private static long decimal(String s) {
            if (s == null || s.isEmpty() || s.length() > 18 || (s.length() > 1 && s.charAt(0) == '0')) {
                return -1;
            }
            long n = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                n = n * 10 + (c - '0');
            }
            return n;
        }
    }

    private final Map<String, Entry<P>> items = new ConcurrentHashMap<>();
    private final Function<T, P> project;
    private final Function<P, T> stub;

    /**
     * @param project the projection of an object (may throw IllegalArgumentException for an object DNS cannot use)
     * @param stub makes an empty object of the type, implementing {@link Stub}, that returns the given projection
     */
    ProjectionStore(Function<T, P> project, Function<P, T> stub) {
        this.project = project;
        this.stub = stub;
    }

    /** The entry of {@code namespace/name}, or null when the object is not (or no longer) in the cache. */
    Entry<P> entry(String key) {
        return items.get(key);
    }

    /** Every entry (weakly consistent while the informer runs). */
    Stream<Entry<P>> entries() {
        return items.values().stream();
    }

    @Override
    public String getKey(T obj) {
        return Cache.metaNamespaceKeyFunc(obj);
    }

    @Override
    public T put(String key, T obj) {
        P projection = null;
        String error = null;
        try {
            projection = project.apply(obj);
        } catch (RuntimeException e) {
            error = String.valueOf(e.getMessage());
        }
        return toObject(key, items.put(key, Entry.of(obj.getMetadata().getResourceVersion(), projection, error)));
    }

    @Override
    public T remove(String key) {
        return toObject(key, items.remove(key));
    }

    @Override
    public Stream<String> keySet() {
        return items.keySet().stream();
    }

    @Override
    public Stream<T> values() {
        return items.entrySet().stream().map(e -> toObject(e.getKey(), e.getValue()));
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public T get(String key) {
        return toObject(key, items.get(key));
    }

    private T toObject(String key, Entry<P> entry) {
        if (entry == null) {
            return null;
        }
        int slash = key.indexOf('/');
        ObjectMeta meta = new ObjectMeta();
        if (slash >= 0) {
            meta.setNamespace(key.substring(0, slash));
        }
        meta.setName(key.substring(slash + 1));
        meta.setResourceVersion(entry.resourceVersion());
        T obj = stub.apply(entry.projection());
        obj.setMetadata(meta);
        return obj;
    }
}
