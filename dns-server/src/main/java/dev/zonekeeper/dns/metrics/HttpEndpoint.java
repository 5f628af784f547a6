package dev.zonekeeper.dns.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Serves {@code /metrics} (Prometheus text), {@code /health} (alive) and {@code /ready} (zones loaded). */
public final class HttpEndpoint implements AutoCloseable {
    private final HttpServer server;

    public HttpEndpoint(
            InetSocketAddress address, Supplier<String> metrics, BooleanSupplier ready, Supplier<String> readiness)
            throws IOException {
        server = HttpServer.create(address, 16);
        server.createContext(
                "/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
        server.createContext("/health", ex -> send(ex, 200, "text/plain", "ok\n"));
        server.createContext("/ready", ex -> {
            boolean r = ready.getAsBoolean();
            send(ex, r ? 200 : 503, "text/plain", (r ? "ready" : "not ready") + ": " + readiness.get() + "\n");
        });
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "zk-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        }
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
