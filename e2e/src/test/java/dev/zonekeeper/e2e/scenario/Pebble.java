package dev.zonekeeper.e2e.scenario;

import static org.awaitility.Awaitility.await;

import dev.zonekeeper.testing.ChildProcess;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Pebble, Let's Encrypt's ACME test CA, as a child process on loopback: its ACME directory and management interface
 * on free ports, and every DNS-01 lookup (TXT at {@code _acme-challenge.<name>}, CAA) sent to one DNS server
 * ({@code -dnsserver HOST:PORT}), the server under test. Its HTTPS certificate is signed by the test CA shipped in
 * pebble's module ({@code pebble.minica.pem}), which the clients are told to trust.
 */
final class Pebble implements AutoCloseable {

    private final ChildProcess process;
    private final String directoryUrl;
    private final String managementUrl;
    private final Path minica;

    private Pebble(ChildProcess process, String directoryUrl, String managementUrl, Path minica) {
        this.process = process;
        this.directoryUrl = directoryUrl;
        this.managementUrl = managementUrl;
        this.minica = minica;
    }

    /** Starts {@code binary} with the test certificates in {@code certs} (tools.sh pebble's layout). */
    static Pebble start(Path binary, Path certs, InetSocketAddress dnsServer, Path workDir) {
        int acme = Ports.free();
        int management = Ports.free();
        Path minica = certs.resolve("pebble.minica.pem");
        // httpPort/tlsPort are where pebble would connect for http-01 and tls-alpn-01, which no test here asks for
        String config = """
                {"pebble": {
                  "listenAddress": "127.0.0.1:%d",
                  "managementListenAddress": "127.0.0.1:%d",
                  "certificate": "%s",
                  "privateKey": "%s",
                  "httpPort": %d,
                  "tlsPort": %d,
                  "ocspResponderURL": "",
                  "externalAccountBindingRequired": false,
                  "retryAfter": {"authz": 1, "order": 1},
                  "keyAlgorithm": "ecdsa",
                  "profiles": {"default": {"description": "default", "validityPeriod": 7776000}}
                }}
                """.formatted(
                        acme,
                        management,
                        certs.resolve("localhost/cert.pem"),
                        certs.resolve("localhost/key.pem"),
                        Ports.free(),
                        Ports.free());
        try {
            Files.createDirectories(workDir);
            Path configFile = workDir.resolve("pebble-config.json");
            Files.writeString(configFile, config, StandardCharsets.UTF_8);
            ChildProcess process = ChildProcess.start(
                    "pebble",
                    List.of(
                            binary.toString(),
                            "-config",
                            configFile.toString(),
                            "-dnsserver",
                            dnsServer.getAddress().getHostAddress() + ":" + dnsServer.getPort()),
                    Map.of(
                            // no random 0-15 s pause before each validation
                            "PEBBLE_VA_NOSLEEP", "1",
                            // pebble rejects 5% of good nonces by default; both clients retry, but a test is
                            // clearer without it
                            "PEBBLE_WFE_NONCEREJECT", "0",
                            // every order proves control anew: no valid authorization reused from an earlier case
                            "PEBBLE_AUTHZREUSE", "0"),
                    workDir,
                    ChildProcess.logFile("e2e-logs", "pebble"));
            Pebble pebble = new Pebble(
                    process, "https://127.0.0.1:" + acme + "/dir", "https://127.0.0.1:" + management, minica);
            try {
                await("pebble serving its directory")
                        .atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(100))
                        .failFast(() -> !process.alive())
                        .ignoreExceptions()
                        .until(() -> pebble.get(pebble.directoryUrl).contains("newOrder"));
            } catch (RuntimeException | AssertionError e) {
                pebble.close();
                throw new AssertionError("pebble did not start\n" + process.tail(), e);
            }
            return pebble;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start pebble", e);
        }
    }

    /** The ACME directory URL, {@code https://127.0.0.1:PORT/dir}. */
    String directoryUrl() {
        return directoryUrl;
    }

    /** The test CA that signed pebble's HTTPS certificate: the clients' trust for talking to pebble. */
    Path caBundle() {
        return minica;
    }

    /** The intermediate certificate pebble issues with (from its management interface, {@code /intermediates/0}). */
    X509Certificate intermediate() {
        return certificates(get(managementUrl + "/intermediates/0")).getFirst();
    }

    String tail() {
        return process.tail();
    }

    /** The certificates of a PEM text, in order. */
    static List<X509Certificate> certificates(String pem) {
        try (InputStream in = new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast)
                    .toList();
        } catch (IOException | GeneralSecurityException e) {
            throw new AssertionError("not PEM certificates: " + pem, e);
        }
    }

    private String get(String url) {
        try {
            HttpClient client = HttpClient.newBuilder()
                    .sslContext(trusting(minica))
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new AssertionError("GET " + url + " -> " + response.statusCode() + ": " + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static SSLContext trusting(Path caPem) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (X509Certificate ca : certificates(Files.readString(caPem, StandardCharsets.US_ASCII))) {
                store.setCertificateEntry("ca" + i++, ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust " + caPem, e);
        }
    }

    @Override
    public void close() {
        process.close();
    }
}
