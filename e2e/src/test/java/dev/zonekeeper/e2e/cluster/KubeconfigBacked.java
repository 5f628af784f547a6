package dev.zonekeeper.e2e.cluster;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

/** The part every kind shares: an admin kubeconfig file, and the client, URL and CA read from it. */
abstract class KubeconfigBacked implements TestCluster {

    private final Path kubeconfig;
    private final Config config;
    private final KubernetesClient client;

    KubeconfigBacked(Path kubeconfig) {
        this.kubeconfig = kubeconfig;
        try {
            this.config = Config.fromKubeconfig(kubeconfig.toFile());
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot read kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
        }
        this.client = new KubernetesClientBuilder().withConfig(config).build();
    }

    /** Writes {@code yaml} to a new private file. */
    static Path writeKubeconfig(String yaml, String prefix) {
        try {
            Path file = Files.createTempFile(
                    prefix,
                    ".kubeconfig",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, yaml, StandardCharsets.UTF_8);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public KubernetesClient client() {
        return client;
    }

    @Override
    public Path kubeconfig() {
        return kubeconfig;
    }

    @Override
    public String apiServerUrl() {
        String url = config.getMasterUrl();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public String caCertificateData() {
        if (config.getCaCertData() != null && !config.getCaCertData().isBlank()) {
            return config.getCaCertData();
        }
        if (config.getCaCertFile() != null) {
            try {
                return Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(config.getCaCertFile())));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the cluster CA " + config.getCaCertFile(), e);
            }
        }
        throw new IllegalStateException("the kubeconfig " + kubeconfig + " names no certificate authority");
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return kind().name().toLowerCase(java.util.Locale.ROOT) + " cluster at " + apiServerUrl();
    }
}
