package dev.zonekeeper.dns.bench;

import dev.zonekeeper.dns.transfer.TsigKeyFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/**
 * The load generator of {@code e2e/bench/update.sh}: TSIG-signed dynamic updates (RFC 2136) against one DNS server,
 * any server (Zonekeeper's sidecar or standalone server, BIND), with dnsjava's {@link Update} and {@link TSIG}.
 *
 * <ul>
 *   <li>{@code --phase ready}: a signed no-op update (delete an RRset that does not exist) every 200 ms until it is
 *       answered NOERROR, so the measurement starts once the server accepts updates from the key.
 *   <li>{@code --phase throughput}: {@code --threads} closed loops, signing with the {@code --key-file}s in turn
 *       (so a per-key rate limit is not what is measured): add a TXT at a fresh name, then delete that name's TXT
 *       RRset (an ACME client's present + clean-up, which keeps the zone's size constant); each NOERROR answer is one
 *       update. Updates in the {@code --warmup-seconds} are not counted.
 *   <li>{@code --phase latency}: one update at a time (the keys in turn): a TXT with a unique value is added and,
 *       from the moment the UPDATE leaves, the name is asked over UDP (a new query each {@code --poll-us}) until an
 *       answer shows the value; then the RRset is deleted and asked until the value is gone. Measured: the UPDATE's
 *       answer (ack) and the first answer showing the change (visible), both from the UPDATE's send time.
 * </ul>
 *
 * Figures are appended to {@code --results} as "run system metric value" lines (e2e/bench/table.py's input), raw
 * latencies to {@code --raw}. Standalone: {@code e2e/bench/probe.sh update --server 127.0.0.1:5353 --zone
 * example.test --key-file k.key --phase latency --system x --run 1}.
 */
public final class UpdateBench {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, List<String>> args;
    private final InetSocketAddress server;
    private final Name zone;
    private final Name base;
    private final List<TSIG> keys = new ArrayList<>();
    private final boolean tcp;
    private final Duration timeout;
    private final String system;
    private final String run;
    private final String nonce = HexFormat.of().formatHex(RANDOM.generateSeed(3));

    private UpdateBench(Map<String, List<String>> args) throws IOException {
        this.args = args;
        String[] hp = one("server", null).split(":");
        server = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
        zone = Name.fromString(one("zone", null), Name.root);
        base = Name.fromString(one("base", "bench"), zone);
        for (String f : args.getOrDefault("key-file", List.of())) {
            // name:algorithm:base64secret, as in the operator's Secrets and standalone mode's keyFile
            keys.add(TsigKeyFile.readUpdateKey(Path.of(f)).tsig());
        }
        if (keys.isEmpty()) throw new IllegalArgumentException("--key-file is required");
        tcp = args.containsKey("tcp");
        timeout = Duration.ofMillis(Long.parseLong(one("timeout-ms", "10000")));
        system = one("system", "server");
        run = one("run", "1");
    }

    public static void main(String[] a) throws Exception {
        Map<String, List<String>> args = new TreeMap<>();
        for (int i = 0; i < a.length; i++) {
            if (!a[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + a[i]);
            String k = a[i].substring(2);
            boolean flag = i + 1 >= a.length || a[i + 1].startsWith("--");
            args.computeIfAbsent(k, x -> new ArrayList<>()).add(flag ? "" : a[++i]);
        }
        UpdateBench b = new UpdateBench(args);
        int rc = switch (b.one("phase", null)) {
            case "ready" -> b.ready();
            case "throughput" -> b.throughput();
            case "latency" -> b.latency();
            default -> throw new IllegalArgumentException("--phase ready|throughput|latency");
        };
        System.exit(rc);
    }

    private String one(String key, String dflt) {
        List<String> v = args.get(key);
        if (v == null || v.isEmpty()) {
            if (dflt == null) throw new IllegalArgumentException("--" + key + " is required");
            return dflt;
        }
        return v.get(v.size() - 1);
    }

    private SimpleResolver resolver(TSIG key) {
        SimpleResolver r = new SimpleResolver(server);
        r.setTSIGKey(key);
        r.setTCP(tcp);
        r.setTimeout(timeout);
        return r;
    }

    private Name name(String label) throws IOException {
        return Name.fromString(label, base);
    }

    /** Why an answer does not count as an applied update, or null when it does. */
    private static String failure(Message response) {
        int rcode = response.getRcode();
        if (rcode != Rcode.NOERROR) {
            String r = Rcode.string(rcode);
            return response.getTSIG() != null && response.getTSIG().getError() != Rcode.NOERROR
                    ? r + "/" + Rcode.TSIGstring(response.getTSIG().getError())
                    : r;
        }
        if (!response.isVerified()) return "unverified_answer";
        return null;
    }

    private static String failure(Throwable t) {
        return t instanceof SocketTimeoutException || t.getCause() instanceof SocketTimeoutException
                ? "timeout"
                : t.getClass().getSimpleName();
    }

    private int ready() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(one("ready-seconds", "120")));
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            for (TSIG key : keys) {
                Update u = new Update(zone);
                u.delete(name("ready-" + nonce), Type.TXT);
                try {
                    last = failure(resolver(key).send(u));
                } catch (IOException e) {
                    last = failure(e);
                }
                if (last != null) break;
            }
            if (last == null) return 0;
            if (last.equals("NOTIMP")) break; // no update support at all: waiting will not help
            Thread.sleep(200);
        }
        System.err.println("[update-bench] " + system + " does not accept updates: " + last);
        return 1;
    }

    private int throughput() throws Exception {
        int threads = Integer.parseInt(one("threads", "4"));
        long warmupNs = TimeUnit.SECONDS.toNanos(Long.parseLong(one("warmup-seconds", "5")));
        long measureNs = TimeUnit.SECONDS.toNanos(Long.parseLong(one("seconds", "20")));
        long start = System.nanoTime();
        long from = start + warmupNs, until = from + measureNs;
        LongAdder applied = new LongAdder();
        Map<String, LongAdder> failed = new ConcurrentHashMap<>();
        List<long[]> acks = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            long[] lat = new long[1 << 20];
            acks.add(lat);
            Thread w = Thread.ofPlatform().name("update-" + t).start(() -> {
                // the keys in turn, each thread starting at its own: a per-key rate limit must not be what is measured
                List<SimpleResolver> rs = keys.stream().map(this::resolver).toList();
                int k = 1; // lat[0] holds the count
                long op = id;
                try {
                    for (long seq = 0; System.nanoTime() < until; seq++) {
                        Name owner = name("t" + id + "-" + seq + "-" + nonce);
                        for (int step = 0; step < 2; step++) {
                            Update u = new Update(zone);
                            if (step == 0) {
                                u.add(new TXTRecord(owner, DClass.IN, 60, "bench " + seq));
                            } else {
                                u.delete(owner, Type.TXT);
                            }
                            SimpleResolver r = rs.get((int) (op % rs.size()));
                            op += threads;
                            long t0 = System.nanoTime();
                            String why;
                            try {
                                why = failure(r.send(u));
                            } catch (IOException e) {
                                why = failure(e);
                            }
                            long t1 = System.nanoTime();
                            if (t0 < from || t1 > until) continue;
                            if (why == null) {
                                applied.increment();
                                if (k < lat.length) lat[k++] = t1 - t0;
                            } else {
                                failed.computeIfAbsent(why, x -> new LongAdder())
                                        .increment();
                            }
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                lat[0] = k - 1;
            });
            workers.add(w);
        }
        Map<String, long[]> pids = cpuPids();
        LockSupport.parkNanos(from - System.nanoTime());
        Map<String, Long> cpu0 = cpuTicks(pids);
        LockSupport.parkNanos(until - System.nanoTime());
        Map<String, Long> cpu1 = cpuTicks(pids);
        for (Thread w : workers) w.join();
        long total = 0;
        for (long[] l : acks) total += l[0];
        long[] all = new long[(int) total];
        int i = 0;
        for (long[] l : acks) {
            System.arraycopy(l, 1, all, i, (int) l[0]);
            i += (int) l[0];
        }
        double seconds = measureNs / 1e9;
        long failures = failed.values().stream().mapToLong(LongAdder::sum).sum();
        try (PrintWriter out = results()) {
            row(out, "updates_per_s", applied.sum() / seconds);
            row(out, "updates_failed", failures);
            if (!pids.isEmpty() && applied.sum() > 0) {
                double msPerTick = 1000.0 / Long.parseLong(one("clk-tck", "100"));
                long sum = 0;
                StringBuilder split = new StringBuilder();
                for (String n : pids.keySet()) {
                    long d = cpu1.get(n) - cpu0.get(n);
                    sum += d;
                    split.append(String.format(Locale.ROOT, "%s=%.3f ", n, d * msPerTick / applied.sum()));
                }
                row(out, "cpu_ms_per_update", sum * msPerTick / applied.sum());
                if (pids.size() > 1) {
                    out.printf(
                            "%s\t%s\t#cpu_ms_per_update_by_process\t%s%n",
                            run, system, split.toString().trim());
                }
            }
            if (all.length > 0) {
                Arrays.sort(all);
                row(out, "loaded_ack_p50_ms", pct(all, 50));
                row(out, "loaded_ack_p99_ms", pct(all, 99));
            }
            if (!failed.isEmpty()) {
                StringBuilder s = new StringBuilder();
                new TreeMap<>(failed)
                        .forEach((k, v) ->
                                s.append(k).append('=').append(v.sum()).append(' '));
                out.printf(
                        "%s\t%s\t#throughput_failures\t%s%n",
                        run, system, s.toString().trim());
            }
        }
        System.err.printf(
                Locale.ROOT,
                "[update-bench] %s throughput: %d threads, %d keys: %.1f updates/s over %.0f s, %d failed %s%n",
                system,
                threads,
                keys.size(),
                applied.sum() / seconds,
                seconds,
                failures,
                failed.isEmpty() ? "" : failed.toString());
        return 0;
    }

    private int latency() throws Exception {
        int count = Integer.parseInt(one("count", "500"));
        int warmup = Integer.parseInt(one("warmup-count", "50"));
        long pollNs = TimeUnit.MICROSECONDS.toNanos(Long.parseLong(one("poll-us", "200")));
        // the keys in turn, as in the throughput phase: a key's rate limit is not what is measured
        List<SimpleResolver> rs = keys.stream().map(this::resolver).toList();
        long[] addAck = new long[count], addSeen = new long[count], delAck = new long[count], delSeen = new long[count];
        int ok = 0;
        Map<String, Integer> failed = new TreeMap<>();
        Path raw = args.containsKey("raw") ? Path.of(one("raw", null)) : null;
        StringBuilder rawLines = new StringBuilder();
        try (DatagramSocket poll = new DatagramSocket()) {
            poll.connect(server);
            poll.setSoTimeout(1000);
            for (int i = 0; i < warmup + count; i++) {
                Name owner = name("l" + i + "-" + nonce);
                String value = "bench " + nonce + " " + i;
                Update add = new Update(zone);
                add.add(new TXTRecord(owner, DClass.IN, 60, value));
                SimpleResolver r = rs.get(i % rs.size());
                long[] add1 = timed(r, add, poll, owner, shows(value), pollNs);
                Update del = new Update(zone);
                del.delete(owner, Type.TXT);
                long[] del1 = add1 == null ? null : timed(r, del, poll, owner, gone(value), pollNs);
                String why = add1 == null ? lastFailure : del1 == null ? "delete " + lastFailure : null;
                if (i < warmup) continue;
                if (why != null) {
                    failed.merge(why, 1, Integer::sum);
                    continue;
                }
                addAck[ok] = add1[0];
                addSeen[ok] = add1[1];
                delAck[ok] = del1[0];
                delSeen[ok] = del1[1];
                rawLines.append(String.format(
                        Locale.ROOT,
                        "%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f%n",
                        run,
                        system,
                        i - warmup,
                        add1[0] / 1e6,
                        add1[1] / 1e6,
                        del1[0] / 1e6,
                        del1[1] / 1e6));
                ok++;
            }
        }
        if (raw != null) {
            Files.writeString(
                    raw, rawLines, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        }
        try (PrintWriter out = results()) {
            if (ok > 0) {
                for (long[] l : List.of(addAck, addSeen, delAck, delSeen)) Arrays.sort(l, 0, ok);
                long[][] sets = {addSeen, addAck, delSeen, delAck};
                String[] names = {"add_visible", "add_ack", "delete_visible", "delete_ack"};
                for (int s = 0; s < sets.length; s++) {
                    long[] l = Arrays.copyOf(sets[s], ok);
                    row(out, names[s] + "_p50_ms", pct(l, 50));
                    row(out, names[s] + "_p99_ms", pct(l, 99));
                }
            }
            row(out, "latency_failures", count - ok);
            if (!failed.isEmpty()) {
                out.printf("%s\t%s\t#latency_failures\t%s%n", run, system, failed);
            }
        }
        System.err.printf(
                Locale.ROOT,
                "[update-bench] %s latency: %d updates, add visible p50 %.3f ms p99 %.3f ms, %d failed %s%n",
                system,
                count,
                ok > 0 ? pct(Arrays.copyOf(addSeen, ok), 50) : Double.NaN,
                ok > 0 ? pct(Arrays.copyOf(addSeen, ok), 99) : Double.NaN,
                count - ok,
                failed.isEmpty() ? "" : failed.toString());
        return 0;
    }

    private String lastFailure;

    /**
     * Sends {@code update} and asks {@code owner} TXT over UDP, a new query every {@code pollNs}, until an answer
     * satisfies {@code seen}; returns {ack, visible} in ns from the UPDATE's send time, or null (why in
     * lastFailure) when the update failed or the change was not seen within the timeout.
     */
    private long[] timed(
            SimpleResolver r, Update update, DatagramSocket poll, Name owner, Predicate<Message> seen, long pollNs)
            throws IOException {
        long t0 = System.nanoTime();
        // the answer's time and verdict, in a future of its own: get() returns only once both are stored
        CompletableFuture<Ack> acked = r.sendAsync(update)
                .toCompletableFuture()
                .handle((m, e) -> new Ack(System.nanoTime(), e != null ? failure(e) : failure(m)));
        long deadline = t0 + timeout.toNanos();
        long visible = -1;
        byte[] buf = new byte[65535];
        while (visible < 0 && System.nanoTime() < deadline) {
            Message q = Message.newQuery(Record.newRecord(owner, Type.TXT, DClass.IN));
            q.getHeader().unsetFlag(Flags.RD);
            int id = q.getHeader().getID();
            byte[] wire = q.toWire();
            poll.send(new DatagramPacket(wire, wire.length));
            long sent = System.nanoTime();
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    poll.receive(p);
                } catch (SocketTimeoutException e) {
                    break;
                }
                Message m = new Message(Arrays.copyOf(p.getData(), p.getLength()));
                if (m.getHeader().getID() != id) continue; // a late answer to an earlier poll
                if (seen.test(m)) visible = System.nanoTime();
                break;
            }
            if (visible < 0) {
                Ack early = acked.getNow(null);
                if (early != null && early.failure() != null) break;
                long wait = sent + pollNs - System.nanoTime();
                if (wait > 0) LockSupport.parkNanos(wait);
            }
        }
        Ack ack;
        try {
            ack = acked.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            lastFailure = "timeout";
            return null;
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        }
        if (ack.failure() != null) {
            lastFailure = ack.failure();
            return null;
        }
        if (visible < 0) {
            lastFailure = "not_visible";
            return null;
        }
        return new long[] {ack.nanos() - t0, visible - t0};
    }

    /** When the UPDATE's answer arrived, and why it does not count (null when it does). */
    private record Ack(long nanos, String failure) {}

    private static Predicate<Message> shows(String value) {
        return m -> {
            if (m.getRcode() != Rcode.NOERROR) return false;
            for (Record rec : m.getSection(Section.ANSWER)) {
                if (rec instanceof TXTRecord txt
                        && String.join("", txt.getStrings()).equals(value)) return true;
            }
            return false;
        };
    }

    /** --cpu-pids NAME=PID[+PID...],...: the processes whose CPU time the throughput phase divides by updates. */
    private Map<String, long[]> cpuPids() {
        Map<String, long[]> pids = new java.util.LinkedHashMap<>();
        if (!args.containsKey("cpu-pids")) return pids;
        for (String part : one("cpu-pids", null).split(",")) {
            String[] nv = part.split("=", 2);
            pids.put(
                    nv[0],
                    Arrays.stream(nv[1].split("\\+")).mapToLong(Long::parseLong).toArray());
        }
        return pids;
    }

    /** utime + stime of every thread of each process (/proc/PID/task/TID/stat), in clock ticks. */
    private static Map<String, Long> cpuTicks(Map<String, long[]> pids) throws IOException {
        Map<String, Long> ticks = new TreeMap<>();
        for (Map.Entry<String, long[]> e : pids.entrySet()) {
            long t = 0;
            for (long pid : e.getValue()) {
                try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
                    for (Path task : tasks.toList()) {
                        try {
                            String stat = Files.readString(task.resolve("stat"));
                            String[] f =
                                    stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                            t += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                        } catch (IOException gone) {
                            // a thread that ended meanwhile
                        }
                    }
                }
            }
            ticks.put(e.getKey(), t);
        }
        return ticks;
    }

    private static Predicate<Message> gone(String value) {
        Predicate<Message> shows = shows(value);
        return m -> m.getRcode() == Rcode.NXDOMAIN || (m.getRcode() == Rcode.NOERROR && !shows.test(m));
    }

    private PrintWriter results() throws IOException {
        Path p = Path.of(one("results", "/dev/stdout"));
        return new PrintWriter(Files.newBufferedWriter(
                p, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
    }

    private void row(PrintWriter out, String metric, double value) {
        out.printf(Locale.ROOT, "%s\t%s\t%s\t%.4f%n", run, system, metric, value);
    }

    /** Nearest-rank percentile of sorted nanoseconds, in ms. */
    private static double pct(long[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
