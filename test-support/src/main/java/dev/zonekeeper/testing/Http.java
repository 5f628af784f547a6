package dev.zonekeeper.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Plain HTTP GETs to a test server's metrics and health endpoints, and one sample read from {@code /metrics}. */
public final class Http {
    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {}

    /** GET {@code http://host:port/path} with a 5 s timeout. */
    public static HttpResponse<String> get(InetSocketAddress server, String path)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://" + server.getAddress().getHostAddress() + ":" + server.getPort() + path))
                .timeout(Duration.ofSeconds(5))
                .build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The value of {@code name{labels}} in Prometheus text, or -1 when the series is absent. */
    public static double sample(String exposition, String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + "{" + labels + "}") + " (\\S+)$")
                .matcher(exposition);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
