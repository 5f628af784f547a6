package dev.zonekeeper.e2e.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Prometheus histogram series (cumulative {@code _bucket{le}} counts and {@code _count}) read from a text
 * exposition, the difference of two scrapes, and quantiles estimated from the buckets the way PromQL's
 * {@code histogram_quantile} does (linear interpolation inside the bucket).
 */
final class PromHistogram {

    /** Upper bound (seconds; +Inf as {@link Double#POSITIVE_INFINITY}) to cumulative count. */
    private final TreeMap<Double, Double> buckets;

    private final double count;
    private final double sum;

    private PromHistogram(TreeMap<Double, Double> buckets, double count, double sum) {
        this.buckets = buckets;
        this.count = count;
        this.sum = sum;
    }

    static final PromHistogram EMPTY = new PromHistogram(new TreeMap<>(), 0, 0);

    /** Fetches {@code url} (a Prometheus text page). */
    static String scrape(String url) throws IOException, InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(10))
                        .header("Accept", "text/plain")
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + url + " answered HTTP " + r.statusCode());
        }
        return r.body();
    }

    /**
     * The series of histogram {@code metric} (without the {@code _bucket} suffix) whose labels include
     * {@code label="value"}; {@link #EMPTY} if the page has none.
     */
    static PromHistogram parse(String page, String metric, String label, String value) {
        Pattern line = Pattern.compile("^" + Pattern.quote(metric) + "_(bucket|count|sum)\\{([^}]*)\\}\\s+(\\S+)");
        Pattern le = Pattern.compile("(?:^|,)\\s*le=\"([^\"]*)\"");
        String want = label + "=\"" + value + "\"";
        TreeMap<Double, Double> buckets = new TreeMap<>();
        double count = 0;
        double sum = 0;
        for (String l : page.split("\n")) {
            Matcher m = line.matcher(l);
            if (!m.find() || !(m.group(2).startsWith(want) || m.group(2).contains("," + want))) {
                continue;
            }
            double v = Double.parseDouble(m.group(3));
            switch (m.group(1)) {
                case "bucket":
                    Matcher b = le.matcher(m.group(2));
                    if (b.find()) {
                        String bound = b.group(1);
                        buckets.put(bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound), v);
                    }
                    break;
                case "count":
                    count = v;
                    break;
                default:
                    sum = v;
            }
        }
        return new PromHistogram(buckets, count, sum);
    }

    /** This minus an earlier scrape of the same series. */
    PromHistogram minus(PromHistogram before) {
        TreeMap<Double, Double> diff = new TreeMap<>();
        for (Map.Entry<Double, Double> e : buckets.entrySet()) {
            diff.put(e.getKey(), e.getValue() - before.buckets.getOrDefault(e.getKey(), 0.0));
        }
        return new PromHistogram(diff, count - before.count, sum - before.sum);
    }

    double count() {
        return count;
    }

    /** Mean in seconds, NaN without observations. */
    double mean() {
        return count == 0 ? Double.NaN : sum / count;
    }

    /** The {@code q} quantile in seconds, estimated as {@code histogram_quantile} does; NaN without observations. */
    double quantile(double q) {
        if (count <= 0 || buckets.isEmpty()) {
            return Double.NaN;
        }
        double rank = q * count;
        double lowerBound = 0;
        double lowerCount = 0;
        List<Map.Entry<Double, Double>> entries = new ArrayList<>(buckets.entrySet());
        for (Map.Entry<Double, Double> e : entries) {
            if (e.getValue() >= rank) {
                if (e.getKey().isInfinite()) {
                    return lowerBound; // as histogram_quantile: the highest finite bound
                }
                double inBucket = e.getValue() - lowerCount;
                return inBucket <= 0
                        ? e.getKey()
                        : lowerBound + (e.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
            }
            lowerBound = e.getKey();
            lowerCount = e.getValue();
        }
        return lowerBound;
    }
}
