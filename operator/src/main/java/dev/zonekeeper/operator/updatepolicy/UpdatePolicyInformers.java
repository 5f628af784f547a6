package dev.zonekeeper.operator.updatepolicy;

import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicy;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.jboss.logging.Logger;

/**
 * Watches every DnsUpdatePolicy, and only the Secrets they reference: one informer per referenced Secret, selected by
 * name (a field selector), started when a policy names it and stopped when none does any more. The operator so
 * never lists or caches the cluster's other Secrets (it needs {@code list}/{@code watch} on Secrets all the same:
 * the API server authorises a watch of one named Secret as a watch of Secrets).
 */
public final class UpdatePolicyInformers implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(UpdatePolicyInformers.class);

    /** Larger {@value PolicyConversion#SECRET_KEY} values are not keys: refused without being kept. */
    static final int MAX_KEY_TEXT = 4096;

    private final KubernetesClient client;
    private final UpdatePolicies policies;
    private final SharedIndexInformer<DnsUpdatePolicy> policyInformer;
    private final Map<List<String>, SharedIndexInformer<Secret>> secretInformers = new HashMap<>();
    private boolean closed;

    public UpdatePolicyInformers(KubernetesClient client, UpdatePolicies policies) {
        this.client = Objects.requireNonNull(client, "client");
        this.policies = Objects.requireNonNull(policies, "policies");
        this.policyInformer = client.resources(DnsUpdatePolicy.class)
                .inAnyNamespace()
                .runnableInformer(0)
                .exceptionHandler(retrying("DnsUpdatePolicy (is its CRD installed? "
                        + "kubectl apply --server-side -f charts/zonekeeper/crds/)"));
        policyInformer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(DnsUpdatePolicy obj) {
                policies.upsertPolicy(obj);
                syncSecretInformers();
            }

            @Override
            public void onUpdate(DnsUpdatePolicy oldObj, DnsUpdatePolicy newObj) {
                policies.upsertPolicy(newObj);
                syncSecretInformers();
            }

            @Override
            public void onDelete(DnsUpdatePolicy obj, boolean deletedFinalStateUnknown) {
                policies.deletePolicy(
                        obj.getMetadata().getNamespace(), obj.getMetadata().getName());
                syncSecretInformers();
            }
        });
    }

    /** Starts watching; the stage completes once the policies have been listed (Secrets follow on their own). */
    public CompletionStage<Void> start() {
        return policyInformer.start();
    }

    /** The number of Secrets watched (for tests and logs). */
    public synchronized int watchedSecrets() {
        return secretInformers.size();
    }

    @Override
    public synchronized void close() {
        closed = true;
        policyInformer.stop();
        secretInformers.values().forEach(SharedIndexInformer::stop);
        secretInformers.clear();
    }

    private synchronized void syncSecretInformers() {
        if (closed) {
            return;
        }
        Set<List<String>> wanted = policies.referencedSecrets();
        var it = secretInformers.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (!wanted.contains(e.getKey())) {
                e.getValue().stop();
                it.remove();
                policies.secret(e.getKey().get(0), e.getKey().get(1), Optional.empty());
            }
        }
        for (List<String> ref : wanted) {
            if (!secretInformers.containsKey(ref)) {
                secretInformers.put(ref, watchSecret(ref.get(0), ref.get(1)));
            }
        }
    }

    private SharedIndexInformer<Secret> watchSecret(String namespace, String name) {
        SharedIndexInformer<Secret> informer = client.secrets()
                .inNamespace(namespace)
                .withName(name)
                .runnableInformer(0)
                .exceptionHandler(retrying("Secret " + namespace + "/" + name));
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Secret obj) {
                policies.secret(namespace, name, keyText(obj));
            }

            @Override
            public void onUpdate(Secret oldObj, Secret newObj) {
                policies.secret(namespace, name, keyText(newObj));
            }

            @Override
            public void onDelete(Secret obj, boolean deletedFinalStateUnknown) {
                policies.secret(namespace, name, Optional.empty());
            }
        });
        informer.start();
        LOG.debugf("watching Secret %s/%s for a DnsUpdatePolicy", namespace, name);
        return informer;
    }

    /** The Secret's tsig.key as text; a value too large to be a key is passed as such, so the verdict says so. */
    static Optional<String> keyText(Secret secret) {
        Map<String, String> data = secret.getData();
        String encoded = data == null ? null : data.get(PolicyConversion.SECRET_KEY);
        if (encoded == null) {
            return Optional.empty();
        }
        byte[] raw;
        try {
            raw = Base64.getMimeDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            return Optional.of("(not base64)");
        }
        if (raw.length > MAX_KEY_TEXT) {
            return Optional.of("(a value of " + raw.length + " bytes, not a key)");
        }
        return Optional.of(new String(raw, StandardCharsets.UTF_8));
    }

    private static ExceptionHandler retrying(String what) {
        return (started, error) -> {
            boolean retry = !ExceptionHandler.isDeserializationException(error);
            LOG.warnf(
                    "%s informer: %s failed (%s)%s",
                    what,
                    started ? "watch" : "initial list",
                    error.toString(),
                    retry ? ", retrying" : ", giving up: the objects cannot be read");
            return retry;
        };
    }
}
