package dev.zonekeeper.e2e.bench;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The programming-latency benchmark: for N Services and N DnsRecords, one at a time, create, change and delete the
 * object against a real API server and measure, for each operation, the time from the start of the API write to the
 * first answer of the DNS server that shows the change (polling over UDP with a sub-millisecond pause). Zonekeeper's
 * sidecar is always measured; CoreDNS (kubernetes plugin, no cache) too when given, for Services (it does not know
 * DnsRecords). Prints one table with p50/p99/max per system, kind and operation, and the operator's own
 * {@code zonekeeper_programming_duration_seconds} histogram over the same changes.
 *
 * <p>Run by {@code e2e/bench/programming-latency.sh}, which starts the API server, operator, sidecar and CoreDNS.
 * Options: {@code --kubeconfig FILE --zonekeeper HOST:PORT [--coredns HOST:PORT] [--operator-metrics URL]
 * [--count N] [--warmup N] [--kinds service,dnsrecord] [--namespace NS] [--cluster-domain D]
 * [--poll-interval-us N] [--timeout-seconds N] [--raw FILE]}.
 */
public final class ProgrammingLatencyBench {

    static final String METRIC = "zonekeeper_programming_duration_seconds";
    static final ResourceDefinitionContext DNS_RECORDS = new ResourceDefinitionContext.Builder()
            .withGroup("zonekeeper.dev")
            .withVersion("v1alpha1")
            .withKind("DnsRecord")
            .withPlural("dnsrecords")
            .withNamespaced(true)
            .build();
    static final String[] OPS = {"create", "change", "delete"};

    /** One measured system: a name and the probe that asks it. */
    record Target(String name, DnsProbe probe) {}

    private final Map<String, String> opts;
    private final KubernetesClient client;
    private final String namespace;
    private final Name domain;
    private final long pollNanos;
    private final long timeoutNanos;
    private final List<Target> targets = new ArrayList<>();
    private final ExecutorService pollers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "dns-poller");
        t.setDaemon(true);
        return t;
    });
    /** system|kind|op to latencies (ms); NaN = not seen within the timeout. */
    private final Map<String, List<Double>> results = new LinkedHashMap<>();
    /** kind|op to API write round trips (ms). */
    private final Map<String, List<Double>> writes = new LinkedHashMap<>();

    private final List<String> failures = new ArrayList<>();
    /** system|kind|op to consecutive timeouts; after {@link #GIVE_UP} the op is no longer polled for that system. */
    private final Map<String, Integer> timeouts = new LinkedHashMap<>();

    static final int GIVE_UP = 3;
    /** "kind|op|name" to the nanoTime at which this program's own watch saw the change (the API server's floor). */
    private final Map<String, Long> watched = new ConcurrentHashMap<>();

    private final List<Watch> watches = new ArrayList<>();
    private PrintWriter raw;
    private boolean recording;

    ProgrammingLatencyBench(Map<String, String> opts) throws IOException {
        this.opts = opts;
        String kubeconfig = Files.readString(Path.of(required("kubeconfig")));
        this.client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(kubeconfig))
                .build();
        this.namespace = opts.getOrDefault("namespace", "zk-bench");
        this.domain = Name.fromString(opts.getOrDefault("cluster-domain", "cluster.local"), Name.root);
        this.pollNanos = TimeUnit.MICROSECONDS.toNanos(Long.parseLong(opts.getOrDefault("poll-interval-us", "500")));
        this.timeoutNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(opts.getOrDefault("timeout-seconds", "30")));
        targets.add(new Target("zonekeeper", new DnsProbe(hostPort(required("zonekeeper")), 250)));
        if (opts.containsKey("coredns")) {
            targets.add(new Target("coredns", new DnsProbe(hostPort(opts.get("coredns")), 250)));
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println(
                        "usage: ProgrammingLatencyBench --kubeconfig FILE --zonekeeper HOST:PORT "
                                + "[--coredns HOST:PORT] [--operator-metrics URL] [--count N] [--warmup N] [--kinds service,dnsrecord] "
                                + "[--namespace NS] [--cluster-domain D] [--poll-interval-us N] [--timeout-seconds N] [--raw FILE]");
                System.exit(2);
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        ProgrammingLatencyBench bench = new ProgrammingLatencyBench(opts);
        try {
            bench.run();
        } finally {
            bench.watches.forEach(Watch::close);
            bench.client.close();
            bench.pollers.shutdownNow();
        }
    }

    private String required(String key) {
        String v = opts.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }

    static InetSocketAddress hostPort(String s) throws IOException {
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("\"" + s + "\" is not HOST:PORT");
        }
        return new InetSocketAddress(
                InetAddress.getByName(s.substring(0, colon)), Integer.parseInt(s.substring(colon + 1)));
    }

    // --- the run ----------------------------------------------------------------------------------------------------

    void run() throws Exception {
        int count = Integer.parseInt(opts.getOrDefault("count", "1000"));
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", "20"));
        List<String> kinds = Arrays.asList(opts.getOrDefault("kinds", "service,dnsrecord")
                .toLowerCase(Locale.ROOT)
                .split(","));
        if (opts.containsKey("raw")) {
            raw = new PrintWriter(Files.newBufferedWriter(Path.of(opts.get("raw"))));
            raw.println("system\tkind\top\tindex\tlatency_ms\tapi_write_ms");
        }
        if (client.namespaces().withName(namespace).get() == null) {
            client.namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(namespace)
                            .endMetadata()
                            .build())
                    .create();
        }
        waitReady();
        startWatches();

        log("warm-up: %d Services and %d DnsRecords (not counted)", warmup, warmup);
        for (int i = 0; i < warmup; i++) {
            if (kinds.contains("service")) {
                serviceCycle(count + i);
            }
            if (kinds.contains("dnsrecord")) {
                dnsRecordCycle(count + i);
            }
        }
        String metrics = opts.get("operator-metrics");
        String before = metrics == null ? null : PromHistogram.scrape(metrics);

        recording = true;
        long started = System.nanoTime();
        Map<String, Double> seconds = new LinkedHashMap<>();
        if (kinds.contains("service")) {
            long t = System.nanoTime();
            for (int i = 0; i < count; i++) {
                serviceCycle(i);
                progress("Services", i, count, t);
            }
            seconds.put("Service", (System.nanoTime() - t) / 1e9);
        }
        if (kinds.contains("dnsrecord")) {
            long t = System.nanoTime();
            for (int i = 0; i < count; i++) {
                dnsRecordCycle(i);
                progress("DnsRecords", i, count, t);
            }
            seconds.put("DnsRecord", (System.nanoTime() - t) / 1e9);
        }
        double total = (System.nanoTime() - started) / 1e9;
        String after = metrics == null ? null : PromHistogram.scrape(metrics);
        if (raw != null) {
            raw.close();
        }

        printTable(count);
        if (after != null) {
            printMetric(before, after, seconds.keySet());
        }
        System.out.printf(
                Locale.ROOT,
                "%nrun: %d objects per kind, sequential; measured phase %.1f s (%s); "
                        + "poll pause %d us, timeout %d s%n",
                count,
                total,
                seconds.entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%s %.1f s", e.getKey(), e.getValue()))
                        .reduce((a, b) -> a + ", " + b)
                        .orElse(""),
                TimeUnit.NANOSECONDS.toMicros(pollNanos),
                TimeUnit.NANOSECONDS.toSeconds(timeoutNanos));
        for (Target t : targets) {
            System.out.printf(
                    Locale.ROOT,
                    "queries to %s (%s): %d sent, %d unanswered within 250 ms%n",
                    t.name(),
                    t.probe().server(),
                    t.probe().sent(),
                    t.probe().lost());
        }
        if (!failures.isEmpty()) {
            System.out.printf("%d failures (first 20):%n", failures.size());
            failures.stream().limit(20).forEach(f -> System.out.println("  " + f));
        }
    }

    private void progress(String what, int i, int count, long since) {
        if ((i + 1) % 100 == 0 || i + 1 == count) {
            log("%s: %d/%d done in %.1f s", what, i + 1, count, (System.nanoTime() - since) / 1e9);
        }
    }

    /** Waits until every target answers for the kubernetes Service (the API server creates it). */
    private void waitReady() throws Exception {
        DnsProbe.Question q = new DnsProbe.Question(Name.fromString("kubernetes.default.svc", domain), Type.A);
        for (Target t : targets) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (true) {
                Message m = t.probe().ask(q);
                if (m != null
                        && m.getRcode() == Rcode.NOERROR
                        && !m.getSection(Section.ANSWER).isEmpty()) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(t.name() + " at "
                            + t.probe().server() + " does not answer " + q + " after 120 s (last answer: "
                            + (m == null ? "none" : Rcode.string(m.getRcode())) + ")");
                }
                Thread.sleep(100);
            }
            log("%s at %s answers", t.name(), t.probe().server());
        }
    }

    /**
     * Watches Services and DnsRecords in the namespace, as any informer would, and notes when each change arrives: the
     * earliest moment a watcher of the API server can know about it. Row "(API watch)" of the table.
     */
    private void startWatches() {
        watches.add(client.services().inNamespace(namespace).watch(new Watcher<Service>() {
            @Override
            public void eventReceived(Action action, Service svc) {
                long now = System.nanoTime();
                String name = svc.getMetadata().getName();
                if (action == Action.ADDED) {
                    watched.putIfAbsent("Service|create|" + name, now);
                } else if (action == Action.MODIFIED
                        && svc.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == 81)) {
                    watched.putIfAbsent("Service|change|" + name, now);
                } else if (action == Action.DELETED) {
                    watched.putIfAbsent("Service|delete|" + name, now);
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                log("Service watch closed: %s", cause);
            }
        }));
        watches.add(client.genericKubernetesResources(DNS_RECORDS)
                .inNamespace(namespace)
                .watch(new Watcher<GenericKubernetesResource>() {
                    @Override
                    public void eventReceived(Action action, GenericKubernetesResource rec) {
                        long now = System.nanoTime();
                        String name = rec.getMetadata().getName();
                        Object spec = rec.getAdditionalProperties().get("spec");
                        if (action == Action.ADDED) {
                            watched.putIfAbsent("DnsRecord|create|" + name, now);
                        } else if (action == Action.MODIFIED
                                && String.valueOf(spec).contains("198.51.100.")) {
                            watched.putIfAbsent("DnsRecord|change|" + name, now);
                        } else if (action == Action.DELETED) {
                            watched.putIfAbsent("DnsRecord|delete|" + name, now);
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                        log("DnsRecord watch closed: %s", cause);
                    }
                }));
    }

    /** When this program's watch saw {@code kind op name}, waiting up to 5 s for the event; NaN if it did not. */
    private double watchedMs(String kind, String op, String name, long t0) throws InterruptedException {
        String key = kind + "|" + op + "|" + name;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Long at;
        while ((at = watched.remove(key)) == null && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        return at == null ? Double.NaN : (at - t0) / 1e6;
    }

    // --- Services ---------------------------------------------------------------------------------------------------

    private void serviceCycle(int i) throws Exception {
        String name = String.format(Locale.ROOT, "svc-%04d", i);
        String ip = "10.0.0." + (10 + i % 240); // the API server's range is 10.0.0.0/24; one Service lives at a time
        Name fqdn = Name.fromString(name + "." + namespace + ".svc", domain);
        DnsProbe.Question a = new DnsProbe.Question(fqdn, Type.A);
        DnsProbe.Question srv = new DnsProbe.Question(Name.fromString("_http._tcp", fqdn), Type.SRV);
        var services = client.services().inNamespace(namespace);
        Service svc = new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(ip)
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(80)
                .withNewTargetPort(8080)
                .endPort()
                .endSpec()
                .build();
        boolean withCoreDns = true;
        measure(
                "Service",
                "create",
                i,
                name,
                a,
                m -> hasA(m, ip),
                () -> services.resource(svc).create(),
                withCoreDns);
        measure(
                "Service",
                "change",
                i,
                name,
                srv,
                m -> hasSrvPort(m, 81),
                () -> services.withName(name)
                        .patch(
                                PatchContext.of(PatchType.JSON_MERGE),
                                "{\"spec\":{\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":81,\"targetPort\":8080}]}}"),
                withCoreDns);
        measure(
                "Service",
                "delete",
                i,
                name,
                a,
                m -> m.getRcode() == Rcode.NXDOMAIN,
                () -> services.withName(name).delete(),
                withCoreDns);
    }

    // --- DnsRecords -------------------------------------------------------------------------------------------------

    private void dnsRecordCycle(int i) throws Exception {
        String name = String.format(Locale.ROOT, "rec-%04d", i);
        Name fqdn = Name.fromString(name + "." + namespace + ".svc", domain);
        String first = "192.0.2." + (1 + i % 250);
        String second = "198.51.100." + (1 + i % 250);
        DnsProbe.Question a = new DnsProbe.Question(fqdn, Type.A);
        MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>>
                records = client.genericKubernetesResources(DNS_RECORDS);
        GenericKubernetesResource rec = new GenericKubernetesResourceBuilder()
                .withApiVersion("zonekeeper.dev/v1alpha1")
                .withKind("DnsRecord")
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .addToAdditionalProperties(
                        "spec", Map.of("name", fqdn.toString(), "type", "A", "ttl", 30, "values", List.of(first)))
                .build();
        measure(
                "DnsRecord",
                "create",
                i,
                name,
                a,
                m -> hasA(m, first),
                () -> records.inNamespace(namespace).resource(rec).create(),
                false);
        measure(
                "DnsRecord",
                "change",
                i,
                name,
                a,
                m -> hasA(m, second),
                () -> records.inNamespace(namespace)
                        .withName(name)
                        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"values\":[\"" + second + "\"]}}"),
                false);
        measure(
                "DnsRecord",
                "delete",
                i,
                name,
                a,
                m -> m.getRcode() == Rcode.NXDOMAIN,
                () -> records.inNamespace(namespace).withName(name).delete(),
                false);
    }

    // --- measuring --------------------------------------------------------------------------------------------------

    static boolean hasA(Message m, String ip) {
        if (m.getRcode() != Rcode.NOERROR) {
            return false;
        }
        for (org.xbill.DNS.Record r : m.getSection(Section.ANSWER)) {
            if (r instanceof ARecord
                    && ((ARecord) r).getAddress().getHostAddress().equals(ip)) {
                return true;
            }
        }
        return false;
    }

    static boolean hasSrvPort(Message m, int port) {
        if (m.getRcode() != Rcode.NOERROR) {
            return false;
        }
        for (org.xbill.DNS.Record r : m.getSection(Section.ANSWER)) {
            if (r instanceof SRVRecord && ((SRVRecord) r).getPort() == port) {
                return true;
            }
        }
        return false;
    }

    /**
     * Polls every target (each on its own thread) until it answers {@code question} in a way {@code seen} accepts; the
     * API write starts only after every poller has had one answer that does not show the change yet. Latency: from
     * just before the write to the receipt of the first answer that shows it.
     */
    private void measure(
            String kind,
            String op,
            int index,
            String name,
            DnsProbe.Question question,
            Predicate<Message> seen,
            Runnable write,
            boolean withCoreDns)
            throws InterruptedException {
        List<Target> asked = new ArrayList<>();
        for (Target t : targets) {
            if ((withCoreDns || t.name().equals("zonekeeper"))
                    && timeouts.getOrDefault(t.name() + "|" + kind + "|" + op, 0) < GIVE_UP) {
                asked.add(t);
            }
        }
        CountDownLatch primed = new CountDownLatch(asked.size());
        List<Future<Long>> polls = new ArrayList<>();
        long deadline = System.nanoTime() + timeoutNanos + TimeUnit.SECONDS.toNanos(5);
        for (Target t : asked) {
            polls.add(pollers.submit(() -> poll(t, question, seen, primed, deadline)));
        }
        if (!primed.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("pollers did not get a first answer for " + question + " within 30 s");
        }
        long t0 = System.nanoTime();
        write.run();
        double apiMs = (System.nanoTime() - t0) / 1e6;
        if (recording) {
            writes.computeIfAbsent(kind + "|" + op, k -> new ArrayList<>()).add(apiMs);
        }

        for (int j = 0; j < asked.size(); j++) {
            Target t = asked.get(j);
            long at;
            try {
                at = polls.get(j).get();
            } catch (ExecutionException e) {
                throw new IllegalStateException(
                        t.name() + ": polling " + question + " failed: " + e.getCause(), e.getCause());
            }
            double ms;
            String key = t.name() + "|" + kind + "|" + op;
            if (at == -1) {
                int n = timeouts.merge(key, 1, Integer::sum);
                if (n == GIVE_UP) {
                    log("%s %s %s: %d timeouts in a row; no longer measured (the writes go on)", t.name(), kind, op, n);
                    failures.add(String.format(
                            Locale.ROOT, "%s %s %s: gave up after %d timeouts in a row", t.name(), kind, op, n));
                }
            } else {
                timeouts.remove(key);
            }
            if (at == Long.MIN_VALUE) {
                failures.add(String.format(
                        Locale.ROOT,
                        "%s %s %s #%d: the change was visible before the write (%s)",
                        t.name(),
                        kind,
                        op,
                        index,
                        question));
                ms = Double.NaN;
            } else if (at < 0) {
                failures.add(String.format(
                        Locale.ROOT,
                        "%s %s %s #%d: not seen within %d s (%s)",
                        t.name(),
                        kind,
                        op,
                        index,
                        TimeUnit.NANOSECONDS.toSeconds(timeoutNanos),
                        question));
                ms = Double.NaN;
            } else {
                ms = (at - t0) / 1e6;
            }
            if (recording) {
                results.computeIfAbsent(t.name() + "|" + kind + "|" + op, k -> new ArrayList<>())
                        .add(ms);
                if (raw != null) {
                    raw.printf(Locale.ROOT, "%s\t%s\t%s\t%d\t%.3f\t%.3f%n", t.name(), kind, op, index, ms, apiMs);
                }
            }
        }
        double watchMs = watchedMs(kind, op, name, t0);
        if (recording) {
            results.computeIfAbsent("(API watch)|" + kind + "|" + op, k -> new ArrayList<>())
                    .add(watchMs);
            if (raw != null) {
                raw.printf(Locale.ROOT, "(API watch)\t%s\t%s\t%d\t%.3f\t%.3f%n", kind, op, index, watchMs, apiMs);
            }
        }
    }

    /**
     * The nanoTime at which an answer showing the change arrived; -1 on timeout; Long.MIN_VALUE if the very first
     * answer (before the write) already showed it.
     */
    private long poll(
            Target t, DnsProbe.Question question, Predicate<Message> seen, CountDownLatch primed, long deadline)
            throws IOException {
        boolean first = true;
        try {
            while (true) {
                Message m = t.probe().ask(question);
                long now = System.nanoTime();
                if (first) {
                    if (m == null) {
                        if (now > deadline) {
                            return -1;
                        }
                        continue;
                    }
                    first = false;
                    primed.countDown();
                    if (seen.test(m)) {
                        return Long.MIN_VALUE;
                    }
                } else if (m != null && seen.test(m)) {
                    return now;
                }
                if (now > deadline) {
                    return -1;
                }
                LockSupport.parkNanos(pollNanos);
            }
        } finally {
            if (first) {
                primed.countDown();
            }
        }
    }

    // --- output -----------------------------------------------------------------------------------------------------

    /** Nearest-rank percentile of the sorted values; NaN if empty. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static double[] seenSorted(List<Double> values) {
        return values.stream()
                .mapToDouble(Double::doubleValue)
                .filter(v -> !Double.isNaN(v))
                .sorted()
                .toArray();
    }

    private void printTable(int count) {
        System.out.printf(
                Locale.ROOT,
                "%nTime from the API write to the first DNS answer showing the change (%d objects "
                        + "per kind, one at a time)%n",
                count);
        String header = String.format(
                Locale.ROOT,
                "%-12s | %-9s | %-6s | %5s | %6s | %8s | %8s | %8s | %s",
                "system",
                "kind",
                "op",
                "n",
                "failed",
                "p50 ms",
                "p99 ms",
                "max ms",
                "ratio to Zonekeeper (p50, p99)");
        System.out.println(header);
        System.out.println("-".repeat(header.length()));
        for (String kind : List.of("Service", "DnsRecord")) {
            for (String op : OPS) {
                double[] zk = seenSorted(results.getOrDefault("zonekeeper|" + kind + "|" + op, List.of()));
                List<String> systems = new ArrayList<>();
                targets.forEach(t -> systems.add(t.name()));
                systems.add("(API watch)");
                for (String system : systems) {
                    List<Double> values = results.get(system + "|" + kind + "|" + op);
                    if (values == null) {
                        if (timeouts.getOrDefault(system + "|" + kind + "|" + op, 0) >= GIVE_UP) {
                            System.out.printf(
                                    Locale.ROOT,
                                    "%-12s | %-9s | %-6s | %5d | %6s | %8s | %8s | %8s | %s%n",
                                    system,
                                    kind,
                                    op,
                                    0,
                                    "all",
                                    "-",
                                    "-",
                                    "-",
                                    "never seen: " + GIVE_UP + " timeouts of "
                                            + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos)
                                            + " s in a row, then no longer polled");
                        }
                        continue;
                    }
                    double[] s = seenSorted(values);
                    String ratio = system.equals("zonekeeper")
                            ? "1.00, 1.00"
                            : String.format(
                                    Locale.ROOT,
                                    "%.2f, %.2f",
                                    percentile(s, 0.5) / percentile(zk, 0.5),
                                    percentile(s, 0.99) / percentile(zk, 0.99));
                    if (system.startsWith("(")) {
                        ratio += "  (this program's own watch event)";
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "%-12s | %-9s | %-6s | %5d | %6d | %8.2f | %8.2f | %8.2f | %s%n",
                            system,
                            kind,
                            op,
                            values.size(),
                            values.size() - s.length,
                            percentile(s, 0.5),
                            percentile(s, 0.99),
                            s.length == 0 ? Double.NaN : s[s.length - 1],
                            ratio);
                }
                List<Double> w = writes.get(kind + "|" + op);
                if (w != null) {
                    double[] s = seenSorted(w);
                    System.out.printf(
                            Locale.ROOT,
                            "%-12s | %-9s | %-6s | %5d | %6s | %8.2f | %8.2f | %8.2f | %s%n",
                            "(API write)",
                            kind,
                            op,
                            s.length,
                            "-",
                            percentile(s, 0.5),
                            percentile(s, 0.99),
                            s[s.length - 1],
                            "(the write request's own round trip)");
                }
            }
        }
    }

    private static void printMetric(String before, String after, Iterable<String> kinds) {
        System.out.printf(
                "%nOperator metric %s over the measured phase (informer event or accepted DnsRecord -> "
                        + "sidecar transfer done;%nestimated from the histogram buckets like histogram_quantile)%n",
                METRIC);
        String header = String.format(
                Locale.ROOT, "%-9s | %6s | %8s | %8s | %8s", "kind", "count", "p50 ms", "p99 ms", "mean ms");
        System.out.println(header);
        System.out.println("-".repeat(header.length()));
        for (String kind : kinds) {
            PromHistogram h = PromHistogram.parse(after, METRIC, "kind", kind)
                    .minus(PromHistogram.parse(before, METRIC, "kind", kind));
            System.out.printf(
                    Locale.ROOT,
                    "%-9s | %6.0f | %8.2f | %8.2f | %8.2f%n",
                    kind,
                    h.count(),
                    h.quantile(0.5) * 1e3,
                    h.quantile(0.99) * 1e3,
                    h.mean() * 1e3);
        }
    }

    private static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[bench] " + format + "%n", args);
    }
}
