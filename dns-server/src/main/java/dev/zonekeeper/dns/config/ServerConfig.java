package dev.zonekeeper.dns.config;

import dev.zonekeeper.dns.server.Warmup;
import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.dns.transfer.ZoneSnapshots;
import dev.zonekeeper.dns.wire.HostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TextParseException;

/**
 * The DNS server's command line, parsed strictly: an unknown option or an invalid value is a
 * {@link ConfigException} whose message names the option.
 *
 * <p>Standalone mode (no {@code --primary}) reads the zones from {@link #records()}; sidecar mode transfers them from
 * {@link #primary()}, and then {@link #records()} is null unless {@code --records} was given (it is not read) and
 * {@link #notifyListen()} is the NOTIFY address, null for {@code --notify-listen none}.
 *
 * <p>{@link #fallthrough()} lists the {@code --fallthrough} zones, each a served zone or a name below one: an NXDOMAIN
 * of ours for a name under one of them is replaced by the forwarder's answer, as CoreDNS's {@code fallthrough} does.
 */
public record ServerConfig(
        InetSocketAddress listen,
        Path records,
        List<Name> zones,
        List<Name> fallthrough,
        List<InetSocketAddress> upstreams,
        InetSocketAddress metrics,
        InetSocketAddress primary,
        Path tsigKeyFile,
        InetSocketAddress notifyListen,
        int udpSockets,
        int cacheSize,
        int zoneTtl,
        int tcpIdleTimeout,
        int tcpIoTimeout,
        int tcpMaxConnections,
        int tcpMaxPerClient,
        int answerCacheMib,
        Rrl rrl,
        long cacheBytes,
        int maxConcurrent,
        int lameduck,
        Path snapshotDir,
        long snapshotMaxAge,
        long recordsMaxFileBytes,
        int recordsMaxRecords,
        int maxConcurrentPerNetwork,
        int warmupRounds,
        long zoneMaxBytes,
        int updateMaxInflight,
        int updateTimeout,
        int updateRate) {

    /**
     * Response rate limiting of UDP answers ({@code --rrl-*}): {@code rate} responses per second per account (client
     * network, kind of response, name), 0 = off; every {@code slip}-th response over the rate is sent truncated, the
     * others dropped; networks are IPv4 /{@code ipv4Prefix} and IPv6 /{@code ipv6Prefix}; a limited client stays
     * limited for at most {@code window} seconds after it slows down.
     */
    public record Rrl(int rate, int slip, int ipv4Prefix, int ipv6Prefix, int window) {
        /** Off by default outside the chart: a server on a laptop or a CI runner has no spoofed clients. */
        public static final Rrl DEFAULT = new Rrl(0, 2, 24, 56, 15);
    }

    /** The NOTIFY port of sidecar mode when {@code --notify-listen} is not given (on the {@code --listen} host). */
    public static final int DEFAULT_NOTIFY_PORT = 5354;
    /** Seconds of {@code --lameduck}: long enough for kube-proxy to take the pod out of the Service's endpoints. */
    public static final int DEFAULT_LAMEDUCK = 5;
    /** Seconds of {@code --snapshot-max-age}: a day, like the SOA expire a secondary would honour. */
    public static final long DEFAULT_SNAPSHOT_MAX_AGE = 86_400;

    /**
     * The options, in {@code --help} order: the one table from which the parser, {@code --help}, the environment
     * variables and the README's option table ({@code OptionTableTest} keeps it current) are made.
     */
    public static final List<Option> OPTIONS = List.of(
            option(
                    "--listen",
                    "HOST:PORT",
                    "`127.0.0.1:5353`",
                    List.of("address for DNS over UDP and TCP (default 127.0.0.1:5353)"),
                    "address for DNS over UDP and TCP",
                    (b, o, v) -> b.listen = hostPort(o, v, -1)),
            option(
                    "--records",
                    "DIR",
                    "`examples/`",
                    List.of(
                            "standalone mode: directory of DnsRecord YAML manifests (default examples/);",
                            "not read in sidecar mode"),
                    "standalone mode: every `*.yaml`/`*.yml` under DIR, `kind: DnsRecord` documents (others ignored), "
                            + "reloaded on change",
                    (b, o, v) -> b.records = Path.of(v)),
            option(
                    "--records-max-file-bytes",
                    "N",
                    "1048576 (1 MiB)",
                    List.of("standalone mode: refuse, unread, a records file larger than this", "(default 1048576)"),
                    "standalone mode: a records file larger than this is refused unread, with a log line naming the file "
                            + "and the limit",
                    (b, o, v) -> b.recordsMaxFileBytes = intValue(o, v, 1, 1 << 30)),
            option(
                    "--records-max-records",
                    "N",
                    "10000",
                    List.of(
                            "standalone mode: refuse the records file that takes the total over N records,",
                            "and every file after it in path order (default 10000)"),
                    "standalone mode: files are read in path order; the file that takes the accepted records over N is "
                            + "refused, and every file after it, each with a log line",
                    (b, o, v) -> b.recordsMaxRecords = intValue(o, v, 0, 10_000_000)),
            repeatable(
                    "--zone",
                    "NAME",
                    "none",
                    List.of("a zone to serve authoritatively (repeatable)"),
                    "a zone served authoritatively, with a generated SOA and NS (`ns.dns.<zone>`); repeatable",
                    (b, o, v) -> b.zones.add(zoneName(o, v))),
            repeatable(
                    "--upstream",
                    "HOST[:PORT]",
                    "nameservers of `/etc/resolv.conf`",
                    List.of(
                            "forward names outside the zones there (repeatable;",
                            "default: the nameservers of /etc/resolv.conf; 'none' disables forwarding)"),
                    "where names outside the zones are forwarded; repeatable; `none` disables forwarding (then such names"
                            + " get REFUSED)",
                    (b, o, v) -> b.upstream(o, v)),
            repeatable(
                    "--fallthrough",
                    "ZONE",
                    "none",
                    List.of(
                            "a --zone, or a name below one, whose NXDOMAINs are forwarded instead",
                            "(repeatable; e.g. in-addr.arpa for PTRs of addresses outside the cluster);",
                            "NODATA stays ours; without forwarding the NXDOMAIN is answered"),
                    "a `--zone`, or a name below one, whose NXDOMAIN answers are replaced by the forwarder's (CoreDNS's "
                            + "`fallthrough`); repeatable; e.g. `--zone in-addr.arpa --zone ip6.arpa --fallthrough in-addr.arpa "
                            + "--fallthrough ip6.arpa` answers the cluster's PTRs and forwards the rest; NODATA stays ours; no "
                            + "effect without forwarding",
                    (b, o, v) -> b.fallthrough(o, v)),
            option(
                    "--metrics",
                    "HOST:PORT",
                    "off",
                    List.of("serve /metrics, /health and /ready over HTTP (default: off)"),
                    "HTTP `/metrics` (Prometheus text), `/health`, `/ready`",
                    (b, o, v) -> b.metrics = hostPort(o, v, -1)),
            option(
                    "--primary",
                    "HOST:PORT",
                    "off",
                    List.of(
                            "sidecar mode: transfer the --zone zones from this primary (AXFR, then IXFR);",
                            "until a zone's first transfer, names in it get SERVFAIL and /ready is 503"),
                    "sidecar mode: the `--zone`s are transferred (AXFR/IXFR) from this primary instead of read from "
                            + "`--records`",
                    (b, o, v) -> b.primary = hostPort(o, v, -1)),
            option(
                    "--tsig-key-file",
                    "FILE",
                    "none",
                    List.of(
                            "TSIG key for transfers and NOTIFY, 'name:hmac-sha256:base64secret'",
                            "(default: none, transfers unsigned)"),
                    "TSIG key for transfers and NOTIFY, `name:hmac-sha256:base64secret`",
                    (b, o, v) -> b.tsig = Path.of(v)),
            option(
                    "--notify-listen",
                    "HOST:PORT",
                    "the `--listen` host, port 5354",
                    List.of(
                            "UDP address for NOTIFY from the primary (sidecar mode; default: the",
                            "--listen host on port " + DEFAULT_NOTIFY_PORT + "; 'none': rely on SOA refresh polling)"),
                    "sidecar mode: the UDP address where NOTIFY from the primary is received; `none`: changes are seen at the zones' SOA refresh only",
                    (b, o, v) -> b.notifyListen(o, v)),
            option(
                    "--udp-sockets",
                    "N",
                    "CPUs",
                    List.of("SO_REUSEPORT UDP sockets, one reader thread each (default: number of CPUs)"),
                    "SO_REUSEPORT UDP sockets, each read by its own thread (also the number of TCP event loops)",
                    (b, o, v) -> b.udpSockets = intValue(o, v, 1, 64)),
            option(
                    "--cache-size",
                    "N",
                    "10000",
                    List.of("forwarder cache entries (default 10000)"),
                    "forwarder cache entries (LRU)",
                    (b, o, v) -> b.cacheSize = intValue(o, v, 0, 10_000_000)),
            option(
                    "--cache-bytes",
                    "N",
                    "`32m`",
                    List.of(
                            "forwarder cache bound in bytes, estimated (suffix k, m, g allowed;",
                            "default 32m), least recently used evicted first"),
                    "forwarder cache bound in estimated bytes (records, their wire form, per-entry overhead; suffix `k`, "
                            + "`m`, `g`), least recently used evicted first; sized for the chart's 256 MiB limit with headroom",
                    (b, o, v) -> b.cacheBytes = byteValue(o, v)),
            option(
                    "--max-concurrent",
                    "N",
                    "1000",
                    List.of(
                            "distinct questions in flight upstream; a query beyond it gets REFUSED",
                            "at once (as CoreDNS's max_concurrent; default 1000)"),
                    "distinct questions in flight upstream (CoreDNS's `max_concurrent`); a query for another question "
                            + "beyond it gets REFUSED at once, so clients try another server; also at most 1000 queries wait for "
                            + "one question and 10,000 in all (each holds its parsed query)",
                    (b, o, v) -> b.maxConcurrent = intValue(o, v, 1, 1_000_000)),
            option(
                    "--max-concurrent-per-network",
                    "N",
                    "250",
                    List.of(
                            "queries of one client network (--rrl-ipv4-prefix/--rrl-ipv6-prefix)",
                            "waiting for upstream answers; beyond, REFUSED at once, so one client cannot",
                            "take every upstream slot (default 250; 0: no such limit)"),
                    "queries of one client network (IPv4 /24, IPv6 /56: `--rrl-ipv4-prefix`, `--rrl-ipv6-prefix`) waiting"
                            + " for upstream answers at once; beyond, REFUSED at once, so a flood of unique names from one client "
                            + "cannot take every upstream slot from the others; 0 turns it off",
                    (b, o, v) -> b.maxConcurrentPerNetwork = intValue(o, v, 0, 1_000_000)),
            option(
                    "--zone-ttl",
                    "SECONDS",
                    "30",
                    List.of("TTL of the generated SOA and NS records (default 30)"),
                    "TTL of the generated SOA and NS, and the negative-caching TTL",
                    (b, o, v) -> b.zoneTtl = intValue(o, v, 0, 86400)),
            option(
                    "--tcp-idle-timeout",
                    "SECONDS",
                    "10",
                    List.of(
                            "close a DNS-over-TCP connection with no query or answer for this long",
                            "(default 10, RFC 7766)"),
                    "a DNS-over-TCP connection with no complete query and no answer for this long is closed (RFC 7766); "
                            + "bytes of an unfinished message do not count",
                    (b, o, v) -> b.tcpIdleTimeout = intValue(o, v, 1, 3600)),
            option(
                    "--tcp-io-timeout",
                    "MILLIS",
                    "2000",
                    List.of(
                            "once a TCP message's first byte arrives, the whole message must arrive within",
                            "this time, else the connection is closed (default 2000)"),
                    "once the first byte of a TCP message arrives, the whole message must arrive within this time, else "
                            + "the connection is closed (Knot's `tcp-io-timeout`): a client trickling a byte now and then cannot "
                            + "hold a connection",
                    (b, o, v) -> b.tcpIoTimeout = intValue(o, v, 10, 600_000)),
            option(
                    "--tcp-max-connections",
                    "N",
                    "1000",
                    List.of(
                            "DNS-over-TCP connections open at once; a new one beyond closes the one idle",
                            "longest (default 1000)"),
                    "DNS-over-TCP connections open at once; a new connection beyond closes the one idle longest (as Knot "
                            + "does) instead of being refused, so idle or trickling connections cannot keep others out",
                    (b, o, v) -> b.tcpMaxConnections = intValue(o, v, 1, 1_000_000)),
            option(
                    "--tcp-max-per-client",
                    "N",
                    "64",
                    List.of(
                            "DNS-over-TCP connections open at once from one client address; a new one",
                            "beyond is refused (default 64)"),
                    "DNS-over-TCP connections open at once from one client address; a new one beyond is refused",
                    (b, o, v) -> b.tcpMaxPerClient = intValue(o, v, 1, 1_000_000)),
            option(
                    "--answer-cache-mib",
                    "MIB",
                    "16",
                    List.of("memory for pre-encoded authoritative answers, keys and answers counted", "(default 16)"),
                    "memory for pre-encoded authoritative answers, counted in bytes (keys, answers, object overheads; the"
                            + " 1.25 MiB table is fixed beside it); beyond it the entries not hit lately are evicted (CLOCK); "
                            + "negative answers have a quarter of it to themselves and, once it is full, are cached only when asked"
                            + " a second time, so a random-subdomain flood cannot push out the names in use",
                    (b, o, v) -> b.answerCacheMib = intValue(o, v, 1, 4096)),
            option(
                    "--rrl-rate",
                    "N",
                    "0 (off; the chart sets 2000)",
                    List.of(
                            "response rate limiting of UDP answers: N responses per second per client",
                            "network, response kind and name (0 = off, the default; the chart sets 2000)"),
                    "response rate limiting of UDP answers (BIND `rate-limit`, Knot `mod-rrl`): N responses per second "
                            + "per account = client network, kind (positive and NODATA per question name and type, NXDOMAIN per "
                            + "zone, errors per network) and name; a limited client stays limited while it keeps asking faster; TCP"
                            + " and clients presenting a valid server cookie are never limited",
                    (b, o, v) -> b.rrl = new Rrl(
                            intValue(o, v, 0, 1_000_000),
                            b.rrl.slip(),
                            b.rrl.ipv4Prefix(),
                            b.rrl.ipv6Prefix(),
                            b.rrl.window())),
            option(
                    "--rrl-slip",
                    "N",
                    "2",
                    List.of(
                            "every N-th response over the rate is sent truncated (TC) so real clients",
                            "retry over TCP, the others are dropped (default 2; 0 drops all, 1 truncates all)"),
                    "every N-th response over the rate is sent truncated (TC, question only) so a real client retries "
                            + "over TCP; the others are dropped; 0 drops all, 1 truncates all",
                    (b, o, v) -> b.rrl = new Rrl(
                            b.rrl.rate(),
                            intValue(o, v, 0, 10),
                            b.rrl.ipv4Prefix(),
                            b.rrl.ipv6Prefix(),
                            b.rrl.window())),
            option(
                    "--rrl-ipv4-prefix",
                    "BITS",
                    "24",
                    List.of("IPv4 clients are counted per network of this prefix (default 24)"),
                    "IPv4 clients are counted per network of this prefix",
                    (b, o, v) -> b.rrl = new Rrl(
                            b.rrl.rate(), b.rrl.slip(), intValue(o, v, 0, 32), b.rrl.ipv6Prefix(), b.rrl.window())),
            option(
                    "--rrl-ipv6-prefix",
                    "BITS",
                    "56",
                    List.of("IPv6 clients are counted per network of this prefix (default 56)"),
                    "IPv6 clients are counted per network of this prefix",
                    (b, o, v) -> b.rrl = new Rrl(
                            b.rrl.rate(), b.rrl.slip(), b.rrl.ipv4Prefix(), intValue(o, v, 0, 128), b.rrl.window())),
            option(
                    "--rrl-window",
                    "SECONDS",
                    "15",
                    List.of(
                            "a client over the rate stays limited at most this long after it slows",
                            "down (default 15)"),
                    "the longest a limited client stays limited after it slows down (its debt is at most `rate` x "
                            + "`window` responses)",
                    (b, o, v) -> b.rrl = new Rrl(
                            b.rrl.rate(),
                            b.rrl.slip(),
                            b.rrl.ipv4Prefix(),
                            b.rrl.ipv6Prefix(),
                            intValue(o, v, 1, 3600))),
            option(
                    "--lameduck",
                    "SECONDS",
                    "5",
                    List.of(
                            "on SIGTERM, report not-ready on /ready and keep answering this long, then",
                            "close and exit 0 (default " + DEFAULT_LAMEDUCK + "; 0: close at once)"),
                    "on SIGTERM: `/ready` answers 503 (\"shutting down\") at once while DNS is still answered this long, "
                            + "then the server closes and exits 0; 0 closes at once",
                    (b, o, v) -> b.lameduck = intValue(o, v, 0, 3600)),
            option(
                    "--zone-max-bytes",
                    "N",
                    "33554432 (32 MiB)",
                    List.of(
                            "sidecar mode: a zone transfer larger than this fails, the zone keeps its",
                            "version; also the largest snapshot file read (default 33554432)"),
                    "sidecar mode: a transfer whose messages add up to more fails (WARN line, "
                            + "`zonekeeper_dns_transfer_failures_total`) and the zone keeps the version it has, so a "
                            + "primary cannot fill the heap; also the largest `--snapshot-dir` file that is read",
                    (b, o, v) -> b.zoneMaxBytes = intValue(o, v, 1, 1 << 30)),
            option(
                    "--snapshot-dir",
                    "DIR",
                    "off",
                    List.of(
                            "sidecar mode: write every transferred zone there (atomic, checksummed) and,",
                            "on start, serve the valid snapshots at once, then catch up by IXFR",
                            "(default: off)"),
                    "sidecar mode: each zone is written to `DIR` after every transfer that changed it (temporary file, "
                            + "fsync, rename; SHA-256 checksum; header with format version, zone, serial, primary and a hash of the"
                            + " TSIG key); on start the valid snapshots are served at once and the transfers catch up by IXFR from "
                            + "their serial. Corrupt, truncated, foreign (another zone, primary or key) or oversized (> 32 MiB) "
                            + "files are refused with a WARN line and `zonekeeper_dns_zone_snapshots_refused_total`",
                    (b, o, v) -> b.snapshotDir(o, v)),
            option(
                    "--snapshot-max-age",
                    "SECONDS",
                    "86400",
                    List.of(
                            "serve a snapshot only while the primary last confirmed it less than this",
                            "long ago (default " + DEFAULT_SNAPSHOT_MAX_AGE + ", a day)"),
                    "a snapshot the primary has not confirmed for longer is not loaded; a zone served from one stops "
                            + "(SERVFAIL) once it passes this age with the primary still away",
                    (b, o, v) -> b.snapshotMaxAge(o, v)),
            option(
                    "--warmup-rounds",
                    "N",
                    "20",
                    List.of(
                            "passes of the JIT warm-up on a throwaway zone before the server reports",
                            "ready (default 20, or the JVM property zonekeeper.warmup.rounds; 0: none)"),
                    "passes of the warm-up before the server reports ready: about 2,000 queries each through a private "
                            + "loopback socket on a throwaway zone, so the JIT has compiled the query path before the "
                            + "first client; the JVM system property `zonekeeper.warmup.rounds` is the default's older "
                            + "spelling; 0 turns it off",
                    (b, o, v) -> b.warmupRounds = intValue(o, v, 0, 1000)),
            option(
                    "--update-max-inflight",
                    "N",
                    "64",
                    List.of("dynamic updates (and signed AXFRs) handled at once; beyond, REFUSED", "(default 64)"),
                    "dynamic updates (RFC 2136) and TSIG-signed AXFRs handled at once, off the event loops (a sidecar "
                            + "forwards them to `--primary`, standalone mode applies them); beyond, REFUSED at once and "
                            + "counted",
                    (b, o, v) -> b.updateMaxInflight = intValue(o, v, 1, 10_000)),
            option(
                    "--update-timeout",
                    "MILLIS",
                    "5000",
                    List.of(
                            "sidecar mode: an update forwarded to the primary that is not answered",
                            "within this time gets SERVFAIL (default 5000)"),
                    "sidecar mode: connecting to `--primary` and each read of its answer to a forwarded update or "
                            + "signed AXFR; past it the client gets SERVFAIL (counted as `primary_failed`)",
                    (b, o, v) -> b.updateTimeout = intValue(o, v, 1, 600_000)),
            option(
                    "--update-rate",
                    "N",
                    "50",
                    List.of(
                            "standalone mode: updates per second one TSIG key may send (burst 2N);",
                            "beyond, REFUSED (default 50)"),
                    "standalone mode: updates per second one TSIG key may send, in bursts of twice that; beyond, "
                            + "REFUSED and counted as `rate_limited`, other keys unaffected",
                    (b, o, v) -> b.updateRate = intValue(o, v, 1, 100_000)));

    /** {@code --help}. */
    public static final String USAGE = usage();

    /** Thrown for an unknown or invalid option; the message names it. */
    public static class ConfigException extends Exception {
        public ConfigException(String message) {
            super(message);
        }
    }

    /** {@code --help}: not an error, the usage is printed on stdout. */
    public static final class HelpRequested extends ConfigException {
        HelpRequested() {
            super(USAGE);
        }
    }

    /**
     * The TSIG key of sidecar mode from {@code --tsig-key-file}, read now, or null when none is given (transfers
     * unsigned).
     *
     * @throws ConfigException naming {@code --tsig-key-file} when the file is missing, unreadable or not a valid key
     */
    public TSIG tsigKey() throws ConfigException {
        if (tsigKeyFile == null) {
            return null;
        }
        String file = tsigKeyFile.toAbsolutePath().toString();
        try {
            return TsigKeyFile.read(tsigKeyFile);
        } catch (NoSuchFileException e) {
            throw new ConfigException("option --tsig-key-file: " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("option --tsig-key-file: cannot read " + file + ": " + e);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("option --tsig-key-file: " + e.getMessage());
        }
    }

    public boolean sidecar() {
        return primary != null;
    }

    public boolean forwarding() {
        return !upstreams.isEmpty();
    }

    /** Parses {@code args}, each option not given there read from its environment variable (see {@link #parse(String[], Map, List)}). */
    public static ServerConfig parse(String[] args, List<InetSocketAddress> defaultUpstreams) throws ConfigException {
        return parse(args, System.getenv(), defaultUpstreams);
    }

    /**
     * Parses the command line {@code args}, then takes each option not on it from its environment variable in
     * {@code env} ({@link Option#env()}, e.g. {@code ZONEKEEPER_LISTEN}; a repeatable option's variable is a
     * comma-separated list): the command line wins, an option given there ignores its variable. A blank variable is
     * not set.
     */
    public static ServerConfig parse(String[] args, Map<String, String> env, List<InetSocketAddress> defaultUpstreams)
            throws ConfigException {
        Map<String, Option> byName = new HashMap<>();
        for (Option o : OPTIONS) {
            byName.put(o.name(), o);
        }
        List<Option> given = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String opt = args[i];
            String value = null;
            int eq = opt.indexOf('=');
            if (opt.startsWith("--") && eq > 0) {
                value = opt.substring(eq + 1);
                opt = opt.substring(0, eq);
            }
            if (opt.equals("--help") || opt.equals("-h")) {
                throw new HelpRequested();
            }
            Option option = byName.get(opt);
            if (option == null) {
                throw new ConfigException("unknown option '" + args[i] + "'\n" + USAGE);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new ConfigException("option " + opt + " needs a value");
                }
                value = args[++i];
            }
            given.add(option);
            values.add(value);
        }
        Builder b = new Builder();
        for (Option o : OPTIONS) {
            String v = env.get(o.env());
            if (v == null || v.isBlank() || given.contains(o)) {
                continue;
            }
            try {
                for (String one : o.repeatable() ? v.split(",") : new String[] {v}) {
                    o.setter().apply(b, o.name(), one.trim());
                }
            } catch (ConfigException e) {
                throw new ConfigException("environment " + o.env() + ": " + e.getMessage());
            }
        }
        for (int i = 0; i < given.size(); i++) {
            given.get(i).setter().apply(b, given.get(i).name(), values.get(i));
        }
        return b.build(defaultUpstreams);
    }

    /** The values of one parse, set by the {@link Option#setter()}s, then checked together by {@link #build}. */
    static final class Builder {
        InetSocketAddress listen = new InetSocketAddress(InetAddress.getLoopbackAddress(), 5353);
        Path records;
        final List<Name> zones = new ArrayList<>();
        final List<Name> fallthrough = new ArrayList<>();
        final List<InetSocketAddress> upstreams = new ArrayList<>();
        boolean upstreamsGiven;
        boolean noForwarding;
        InetSocketAddress metrics;
        InetSocketAddress primary;
        Path tsig;
        InetSocketAddress notifyListen;
        boolean noNotify;
        int udpSockets = Runtime.getRuntime().availableProcessors();
        int cacheSize = 10_000;
        long cacheBytes = 32L << 20;
        int maxConcurrent = 1000;
        int maxConcurrentPerNetwork = 250;
        int zoneTtl = 30;
        int tcpIdleTimeout = 10;
        int tcpIoTimeout = 2000;
        int tcpMaxConnections = 1000;
        int tcpMaxPerClient = 64;
        int answerCacheMib = 16;
        Rrl rrl = Rrl.DEFAULT;
        int lameduck = DEFAULT_LAMEDUCK;
        Path snapshotDir;
        long snapshotMaxAge = DEFAULT_SNAPSHOT_MAX_AGE;
        boolean snapshotMaxAgeGiven;
        long recordsMaxFileBytes = 1024 * 1024;
        int recordsMaxRecords = 10_000;
        int warmupRounds = Warmup.rounds();
        long zoneMaxBytes = ZoneSnapshots.DEFAULT_MAX_BYTES;
        int updateMaxInflight = 64;
        int updateTimeout = 5000;
        int updateRate = 50;

        void upstream(String opt, String value) throws ConfigException {
            upstreamsGiven = true;
            if (value.equalsIgnoreCase("none")) {
                noForwarding = true;
            } else {
                upstreams.add(hostPort(opt, value, 53));
            }
        }

        void fallthrough(String opt, String value) throws ConfigException {
            if (value.trim().equals(".")) {
                throw new ConfigException(
                        "option --fallthrough: the root is not a served zone; name a --zone" + " or a name below one");
            }
            Name f = zoneName(opt, value);
            if (!fallthrough.contains(f)) {
                fallthrough.add(f);
            }
        }

        void notifyListen(String opt, String value) throws ConfigException {
            noNotify = value.equalsIgnoreCase("none");
            notifyListen = noNotify ? null : hostPort(opt, value, -1);
        }

        void snapshotDir(String opt, String value) throws ConfigException {
            if (value.isBlank()) {
                throw new ConfigException("option " + opt + ": empty directory name");
            }
            snapshotDir = Path.of(value);
        }

        void snapshotMaxAge(String opt, String value) throws ConfigException {
            snapshotMaxAge = intValue(opt, value, 1, 365 * 86_400);
            snapshotMaxAgeGiven = true;
        }

        /** The rules between options, then the config. */
        ServerConfig build(List<InetSocketAddress> defaultUpstreams) throws ConfigException {
            if (noForwarding) {
                upstreams.clear();
            } else if (!upstreamsGiven) {
                upstreams.addAll(defaultUpstreams);
            }
            for (int a = 0; a < zones.size(); a++) {
                for (int c = a + 1; c < zones.size(); c++) {
                    if (zones.get(a).equals(zones.get(c))) {
                        throw new ConfigException("option --zone: " + zones.get(a) + " is given twice");
                    }
                }
            }
            for (Name f : fallthrough) {
                if (zones.stream().noneMatch(f::subdomain)) {
                    throw new ConfigException("option --fallthrough: " + f + " is neither a --zone nor below one"
                            + (zones.isEmpty() ? " (no --zone given)" : " (zones: " + names(zones) + ")"));
                }
            }
            if (tsig != null && primary == null) {
                throw new ConfigException("option --tsig-key-file needs --primary");
            }
            if ((notifyListen != null || noNotify) && primary == null) {
                throw new ConfigException("option --notify-listen needs --primary");
            }
            if (snapshotDir != null && primary == null) {
                throw new ConfigException("option --snapshot-dir needs --primary (standalone mode reads --records)");
            }
            if (snapshotMaxAgeGiven && snapshotDir == null) {
                throw new ConfigException("option --snapshot-max-age needs --snapshot-dir");
            }
            if (primary == null) {
                if (records == null) {
                    records = Path.of("examples");
                }
            } else {
                if (zones.isEmpty()) {
                    throw new ConfigException("option --primary needs at least one --zone to transfer");
                }
                if (notifyListen == null && !noNotify) {
                    notifyListen = new InetSocketAddress(listen.getAddress(), DEFAULT_NOTIFY_PORT);
                }
                if (notifyListen != null && notifyListen.getPort() != 0 && notifyListen.equals(listen)) {
                    throw new ConfigException("option --notify-listen: "
                            + notifyListen.getAddress().getHostAddress() + ":" + notifyListen.getPort()
                            + " is the --listen address; give another port");
                }
            }
            return new ServerConfig(
                    listen,
                    records,
                    List.copyOf(zones),
                    List.copyOf(fallthrough),
                    List.copyOf(upstreams),
                    metrics,
                    primary,
                    tsig,
                    notifyListen,
                    udpSockets,
                    cacheSize,
                    zoneTtl,
                    tcpIdleTimeout,
                    tcpIoTimeout,
                    tcpMaxConnections,
                    tcpMaxPerClient,
                    answerCacheMib,
                    rrl,
                    cacheBytes,
                    maxConcurrent,
                    lameduck,
                    snapshotDir,
                    snapshotMaxAge,
                    recordsMaxFileBytes,
                    recordsMaxRecords,
                    maxConcurrentPerNetwork,
                    warmupRounds,
                    zoneMaxBytes,
                    updateMaxInflight,
                    updateTimeout,
                    updateRate);
        }
    }

    private static Option option(
            String name, String arg, String defaultDoc, List<String> help, String doc, Option.Setter setter) {
        return new Option(name, arg, defaultDoc, help, doc, false, setter);
    }

    private static Option repeatable(
            String name, String arg, String defaultDoc, List<String> help, String doc, Option.Setter setter) {
        return new Option(name, arg, defaultDoc, help, doc, true, setter);
    }

    private static String usage() {
        StringBuilder sb = new StringBuilder("Usage: zonekeeper-dns-server [options]");
        for (Option o : OPTIONS) {
            sb.append('\n').append(o.usage());
        }
        return sb.append("\n  --help                   print this help").toString();
    }

    /** The README's option table (between its {@code dns-server options} markers), generated from {@link #OPTIONS}. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder("| option | environment | default | meaning |\n|---|---|---|---|\n");
        for (Option o : OPTIONS) {
            sb.append(o.markdownRow()).append('\n');
        }
        return sb.toString();
    }

    private static int intValue(String opt, String value, int min, int max) throws ConfigException {
        try {
            int v = Integer.parseInt(value.trim());
            if (v < min || v > max) {
                throw new ConfigException("option " + opt + ": " + value + " is outside " + min + "-" + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException("option " + opt + ": '" + value + "' is not a whole number");
        }
    }

    /** A byte count, optionally with a k, m or g suffix (powers of 1024), from 0 to 64 GiB. */
    private static long byteValue(String opt, String value) throws ConfigException {
        String v = value.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (!v.isEmpty() && "kmg".indexOf(v.charAt(v.length() - 1)) >= 0) {
            unit = 1L << (10 * (1 + "kmg".indexOf(v.charAt(v.length() - 1))));
            v = v.substring(0, v.length() - 1);
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0 || n > (64L << 30) / unit) {
                throw new ConfigException("option " + opt + ": " + value + " is outside 0-64g");
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new ConfigException("option " + opt + ": '" + value + "' is not a byte count (e.g. 32m)");
        }
    }

    private static Name zoneName(String opt, String value) throws ConfigException {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.isEmpty()) {
            throw new ConfigException("option " + opt + ": empty zone name");
        }
        try {
            Name n = Name.fromString(v.endsWith(".") ? v : v + ".");
            if (n.labels() < 2) {
                throw new ConfigException("option " + opt + ": serving the root zone is not supported");
            }
            return n;
        } catch (TextParseException e) {
            throw new ConfigException(
                    "option " + opt + ": '" + value + "' is not a valid zone name: " + e.getMessage());
        }
    }

    /** HOST:PORT, [IPv6]:PORT, or (when defaultPort >= 0) a bare host; a name is looked up (see {@link HostPort}). */
    static InetSocketAddress hostPort(String opt, String value, int defaultPort) throws ConfigException {
        try {
            return HostPort.parse(value, defaultPort).resolve();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("option " + opt + ": " + e.getMessage());
        }
    }

    public String zoneList() {
        return names(zones);
    }

    private static String names(List<Name> names) {
        StringBuilder sb = new StringBuilder();
        for (Name z : names) {
            sb.append(sb.length() == 0 ? "" : ", ").append(z);
        }
        return sb.toString();
    }
}
