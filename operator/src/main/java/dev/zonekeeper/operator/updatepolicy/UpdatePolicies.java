package dev.zonekeeper.operator.updatepolicy;

import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicy;
import dev.zonekeeper.operator.config.ZoneSettings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.xbill.DNS.Name;

/**
 * Every DnsUpdatePolicy this replica knows, the key texts of the Secrets they reference, and the verdicts made of
 * them. On every change the list of policies in force goes to the sink ({@code UpdateService::policies}) and the
 * policies whose verdict changed are told to the listeners (the status writer). Thread-safe (one lock; changes are
 * rare and small).
 *
 * <p>A key name identifies the key in a request, so one key name must mean one key: policies naming the same key with
 * a different algorithm or secret are refused (KeyConflict), all but the oldest, so another namespace cannot take
 * over or break a key in use by declaring the same name.
 */
public final class UpdatePolicies {

    private static final Logger LOG = Logger.getLogger(UpdatePolicies.class);

    /** Told of a policy whose verdict changed (or that was deleted). */
    @FunctionalInterface
    public interface Listener {
        void changed(String namespace, String name);
    }

    /** A policy object's identity, for Events on it. */
    public record Ref(String namespace, String name, String uid, String resourceVersion) {}

    private record Key(String namespace, String name) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            return Comparator.comparing(Key::namespace).thenComparing(Key::name).compare(this, o);
        }
    }

    private final ZoneSettings settings;
    private final Consumer<List<UpdatePolicy>> sink;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Key, DnsUpdatePolicy> objects = new TreeMap<>();
    /** Secret (namespace, name) to the text of its tsig.key; absent: not seen (missing). */
    private final Map<Key, String> keyTexts = new HashMap<>();

    private volatile Map<Key, PolicyVerdict> verdicts = Map.of();
    private volatile List<UpdatePolicy> inForce = List.of();

    public UpdatePolicies(ZoneSettings settings, Consumer<List<UpdatePolicy>> sink) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void upsertPolicy(DnsUpdatePolicy policy) {
        synchronized (this) {
            objects.put(
                    key(
                            policy.getMetadata().getNamespace(),
                            policy.getMetadata().getName()),
                    policy);
        }
        recompute();
    }

    public void deletePolicy(String namespace, String name) {
        synchronized (this) {
            objects.remove(key(namespace, name));
        }
        recompute();
    }

    /** The Secret's {@value PolicyConversion#SECRET_KEY} as text, or empty when the Secret or its key is gone. */
    public void secret(String namespace, String name, Optional<String> keyText) {
        synchronized (this) {
            Key k = key(namespace, name);
            if (Objects.equals(keyTexts.get(k), keyText.orElse(null))) {
                return;
            }
            if (keyText.isPresent()) {
                keyTexts.put(k, keyText.get());
            } else {
                keyTexts.remove(k);
            }
        }
        recompute();
    }

    /** The Secrets (namespace and name) the policies reference: the only ones watched. */
    public synchronized Set<List<String>> referencedSecrets() {
        return objects.values().stream()
                .filter(p -> p.getSpec() != null
                        && p.getSpec().getKeySecretRef() != null
                        && p.getSpec().getKeySecretRef().getName() != null)
                .map(p -> List.of(
                        p.getMetadata().getNamespace(),
                        p.getSpec().getKeySecretRef().getName()))
                .collect(Collectors.toUnmodifiableSet());
    }

    /** The verdict on a policy, empty when it is not known (deleted, or not seen yet). */
    public Optional<PolicyVerdict> verdict(String namespace, String name) {
        return Optional.ofNullable(verdicts.get(key(namespace, name)));
    }

    /** The policies in force. */
    public List<UpdatePolicy> inForce() {
        return inForce;
    }

    /** The identity of a policy object, for an Event on it. */
    public synchronized Optional<Ref> ref(String namespace, String name) {
        DnsUpdatePolicy p = objects.get(key(namespace, name));
        return p == null
                ? Optional.empty()
                : Optional.of(new Ref(
                        namespace,
                        name,
                        p.getMetadata().getUid(),
                        p.getMetadata().getResourceVersion()));
    }

    private void recompute() {
        List<String[]> changed = new ArrayList<>();
        synchronized (this) {
            Map<Key, PolicyVerdict> next = new TreeMap<>();
            for (Map.Entry<Key, DnsUpdatePolicy> e : objects.entrySet()) {
                DnsUpdatePolicy p = e.getValue();
                Optional<String> text = Optional.empty();
                if (p.getSpec() != null
                        && p.getSpec().getKeySecretRef() != null
                        && p.getSpec().getKeySecretRef().getName() != null) {
                    text = Optional.ofNullable(keyTexts.get(key(
                            e.getKey().namespace(),
                            p.getSpec().getKeySecretRef().getName())));
                }
                next.put(e.getKey(), PolicyConversion.convert(p, text, settings));
            }
            resolveKeyConflicts(next);
            for (Key k : union(verdicts.keySet(), next.keySet())) {
                if (!Objects.equals(verdicts.get(k), next.get(k))) {
                    changed.add(new String[] {k.namespace(), k.name()});
                }
            }
            verdicts = Map.copyOf(next);
            inForce = next.values().stream()
                    .filter(PolicyVerdict::ready)
                    .map(v -> v.policy().orElseThrow())
                    .toList();
            if (!changed.isEmpty()) {
                sink.accept(inForce);
                LOG.infof("update policies in force: %d of %d", inForce.size(), next.size());
            }
        }
        for (String[] c : changed) {
            for (Listener l : listeners) {
                try {
                    l.changed(c[0], c[1]);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "update policy listener failed for %s/%s", c[0], c[1]);
                }
            }
        }
    }

    /** Refuses every ready policy whose key name another, older one uses with a different key. */
    private void resolveKeyConflicts(Map<Key, PolicyVerdict> verdicts) {
        Map<Name, List<Key>> byKeyName = new HashMap<>();
        for (Map.Entry<Key, PolicyVerdict> e : verdicts.entrySet()) {
            e.getValue()
                    .policy()
                    .ifPresent(p -> byKeyName
                            .computeIfAbsent(p.keyName(), n -> new ArrayList<>())
                            .add(e.getKey()));
        }
        for (Map.Entry<Name, List<Key>> e : byKeyName.entrySet()) {
            List<Key> users = e.getValue();
            if (users.size() < 2) {
                continue;
            }
            users.sort(Comparator.comparing((Key k) -> created(objects.get(k))).thenComparing(k -> k));
            String first = verdicts.get(users.get(0)).keyDigest();
            for (Key k : users.subList(1, users.size())) {
                PolicyVerdict v = verdicts.get(k);
                if (!first.equals(v.keyDigest())) {
                    verdicts.put(
                            k,
                            PolicyVerdict.refused(
                                    v.namespace(),
                                    v.name(),
                                    v.generation(),
                                    PolicyVerdict.KEY_CONFLICT,
                                    "key name " + e.getKey().toString(true) + " is already used with a different "
                                            + "secret or algorithm by DnsUpdatePolicy "
                                            + users.get(0).namespace() + "/"
                                            + users.get(0).name()
                                            + "; give this key another name",
                                    v.keyName()));
                }
            }
        }
    }

    private static String created(DnsUpdatePolicy p) {
        String t = p == null ? null : p.getMetadata().getCreationTimestamp();
        return t == null ? "" : t;
    }

    private static Set<Key> union(Set<Key> a, Set<Key> b) {
        java.util.TreeSet<Key> all = new java.util.TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    private static Key key(String namespace, String name) {
        return new Key(namespace == null ? "" : namespace, name);
    }
}
