package dev.zonekeeper.dns.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xbill.DNS.Name;
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
        int maxConcurrentPerNetwork) {

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

    public static final String USAGE = String.join("\n",
            "Usage: zonekeeper-dns-server [options]",
            "  --listen HOST:PORT       address for DNS over UDP and TCP (default 127.0.0.1:5353)",
            "  --records DIR            standalone mode: directory of DnsRecord YAML manifests (default examples/);",
            "                           not read in sidecar mode",
            "  --records-max-file-bytes N  standalone mode: refuse, unread, a records file larger than this",
            "                           (default 1048576)",
            "  --records-max-records N  standalone mode: refuse the records file that takes the total over N records,",
            "                           and every file after it in path order (default 10000)",
            "  --zone NAME              a zone to serve authoritatively (repeatable)",
            "  --upstream HOST:PORT     forward names outside the zones there (repeatable;",
            "                           default: the nameservers of /etc/resolv.conf; 'none' disables forwarding)",
            "  --fallthrough ZONE       a --zone, or a name below one, whose NXDOMAINs are forwarded instead",
            "                           (repeatable; e.g. in-addr.arpa for PTRs of addresses outside the cluster);",
            "                           NODATA stays ours; without forwarding the NXDOMAIN is answered",
            "  --metrics HOST:PORT      serve /metrics, /health and /ready over HTTP (default: off)",
            "  --primary HOST:PORT      sidecar mode: transfer the --zone zones from this primary (AXFR, then IXFR);",
            "                           until a zone's first transfer, names in it get SERVFAIL and /ready is 503",
            "  --tsig-key-file FILE     TSIG key for transfers and NOTIFY, 'name:hmac-sha256:base64secret'",
            "                           (default: none, transfers unsigned)",
            "  --notify-listen HOST:PORT  UDP address for NOTIFY from the primary (sidecar mode; default: the",
            "                           --listen host on port " + DEFAULT_NOTIFY_PORT + "; 'none': rely on SOA refresh polling)",
            "  --udp-sockets N          SO_REUSEPORT UDP sockets, one reader thread each (default: number of CPUs)",
            "  --cache-size N           forwarder cache entries (default 10000)",
            "  --cache-bytes N          forwarder cache bound in bytes, estimated (suffix k, m, g allowed;",
            "                           default 32m), least recently used evicted first",
            "  --max-concurrent N       distinct questions in flight upstream; a query beyond it gets REFUSED",
            "                           at once (as CoreDNS's max_concurrent; default 1000)",
            "  --max-concurrent-per-network N  queries of one client network (--rrl-ipv4-prefix/--rrl-ipv6-prefix)",
            "                           waiting for upstream answers; beyond, REFUSED at once, so one client cannot",
            "                           take every upstream slot (default 250; 0: no such limit)",
            "  --zone-ttl SECONDS       TTL of the generated SOA and NS records (default 30)",
            "  --tcp-idle-timeout SECONDS  close a DNS-over-TCP connection with no query or answer for this long",
            "                           (default 10, RFC 7766)",
            "  --tcp-io-timeout MILLIS  once a TCP message's first byte arrives, the whole message must arrive within",
            "                           this time, else the connection is closed (default 2000)",
            "  --tcp-max-connections N  DNS-over-TCP connections open at once; a new one beyond closes the one idle",
            "                           longest (default 1000)",
            "  --tcp-max-per-client N   DNS-over-TCP connections open at once from one client address; a new one",
            "                           beyond is refused (default 64)",
            "  --answer-cache-mib MIB   memory for pre-encoded authoritative answers, keys and answers counted",
            "                           (default 16)",
            "  --rrl-rate N             response rate limiting of UDP answers: N responses per second per client",
            "                           network, response kind and name (0 = off, the default; the chart sets 2000)",
            "  --rrl-slip N             every N-th response over the rate is sent truncated (TC) so real clients",
            "                           retry over TCP, the others are dropped (default 2; 0 drops all, 1 truncates all)",
            "  --rrl-ipv4-prefix BITS   IPv4 clients are counted per network of this prefix (default 24)",
            "  --rrl-ipv6-prefix BITS   IPv6 clients are counted per network of this prefix (default 56)",
            "  --rrl-window SECONDS     a client over the rate stays limited at most this long after it slows",
            "                           down (default 15)",
            "  --lameduck SECONDS       on SIGTERM, report not-ready on /ready and keep answering this long, then",
            "                           close and exit 0 (default " + DEFAULT_LAMEDUCK + "; 0: close at once)",
            "  --snapshot-dir DIR       sidecar mode: write every transferred zone there (atomic, checksummed) and,",
            "                           on start, serve the valid snapshots at once, then catch up by IXFR",
            "                           (default: off)",
            "  --snapshot-max-age SECONDS  serve a snapshot only while the primary last confirmed it less than this",
            "                           long ago (default " + DEFAULT_SNAPSHOT_MAX_AGE + ", a day)",
            "  --help                   print this help");

    /** Thrown for an unknown or invalid option; the message names it. */
    public static final class ConfigException extends Exception {
        public ConfigException(String message) {
            super(message);
        }
    }

    public boolean sidecar() {
        return primary != null;
    }

    public boolean forwarding() {
        return !upstreams.isEmpty();
    }

    public static ServerConfig parse(String[] args, List<InetSocketAddress> defaultUpstreams) throws ConfigException {
        InetSocketAddress listen = new InetSocketAddress(InetAddress.getLoopbackAddress(), 5353);
        Path records = null;
        List<Name> zones = new ArrayList<>();
        List<Name> fallthrough = new ArrayList<>();
        List<InetSocketAddress> upstreams = new ArrayList<>();
        boolean upstreamsGiven = false;
        boolean noForwarding = false;
        InetSocketAddress metrics = null;
        InetSocketAddress primary = null;
        Path tsig = null;
        InetSocketAddress notifyListen = null;
        boolean noNotify = false;
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
        Path snapshotDir = null;
        long snapshotMaxAge = DEFAULT_SNAPSHOT_MAX_AGE;
        boolean snapshotMaxAgeGiven = false;
        long recordsMaxFileBytes = 1024 * 1024;
        int recordsMaxRecords = 10_000;
        for (int i = 0; i < args.length; i++) {
            String opt = args[i];
            String value = null;
            int eq = opt.indexOf('=');
            if (opt.startsWith("--") && eq > 0) {
                value = opt.substring(eq + 1);
                opt = opt.substring(0, eq);
            }
            if (opt.equals("--help") || opt.equals("-h")) {
                throw new ConfigException(USAGE);
            }
            if (!isKnown(opt)) {
                throw new ConfigException("unknown option '" + args[i] + "'\n" + USAGE);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new ConfigException("option " + opt + " needs a value");
                }
                value = args[++i];
            }
            switch (opt) {
                case "--listen" -> listen = hostPort(opt, value);
                case "--records" -> records = Path.of(value);
                case "--zone" -> zones.add(zoneName(opt, value));
                case "--fallthrough" -> {
                    if (value.trim().equals(".")) {
                        throw new ConfigException("option --fallthrough: the root is not a served zone; name a --zone"
                                + " or a name below one");
                    }
                    Name f = zoneName(opt, value);
                    if (!fallthrough.contains(f)) {
                        fallthrough.add(f);
                    }
                }
                case "--upstream" -> {
                    upstreamsGiven = true;
                    if (value.equalsIgnoreCase("none")) {
                        noForwarding = true;
                    } else {
                        upstreams.add(hostPort(opt, value, 53));
                    }
                }
                case "--metrics" -> metrics = hostPort(opt, value);
                case "--primary" -> primary = hostPort(opt, value);
                case "--tsig-key-file" -> tsig = Path.of(value);
                case "--notify-listen" -> {
                    if (value.equalsIgnoreCase("none")) {
                        noNotify = true;
                        notifyListen = null;
                    } else {
                        noNotify = false;
                        notifyListen = hostPort(opt, value);
                    }
                }
                case "--udp-sockets" -> udpSockets = intValue(opt, value, 1, 64);
                case "--cache-size" -> cacheSize = intValue(opt, value, 0, 10_000_000);
                case "--cache-bytes" -> cacheBytes = byteValue(opt, value);
                case "--max-concurrent" -> maxConcurrent = intValue(opt, value, 1, 1_000_000);
                case "--max-concurrent-per-network" -> maxConcurrentPerNetwork = intValue(opt, value, 0, 1_000_000);
                case "--zone-ttl" -> zoneTtl = intValue(opt, value, 0, 86400);
                case "--tcp-idle-timeout" -> tcpIdleTimeout = intValue(opt, value, 1, 3600);
                case "--tcp-io-timeout" -> tcpIoTimeout = intValue(opt, value, 10, 600_000);
                case "--tcp-max-connections" -> tcpMaxConnections = intValue(opt, value, 1, 1_000_000);
                case "--tcp-max-per-client" -> tcpMaxPerClient = intValue(opt, value, 1, 1_000_000);
                case "--answer-cache-mib" -> answerCacheMib = intValue(opt, value, 1, 4096);
                case "--rrl-rate" -> rrl = new Rrl(intValue(opt, value, 0, 1_000_000), rrl.slip(), rrl.ipv4Prefix(),
                        rrl.ipv6Prefix(), rrl.window());
                case "--rrl-slip" -> rrl = new Rrl(rrl.rate(), intValue(opt, value, 0, 10), rrl.ipv4Prefix(),
                        rrl.ipv6Prefix(), rrl.window());
                case "--rrl-ipv4-prefix" -> rrl = new Rrl(rrl.rate(), rrl.slip(), intValue(opt, value, 0, 32),
                        rrl.ipv6Prefix(), rrl.window());
                case "--rrl-ipv6-prefix" -> rrl = new Rrl(rrl.rate(), rrl.slip(), rrl.ipv4Prefix(),
                        intValue(opt, value, 0, 128), rrl.window());
                case "--rrl-window" -> rrl = new Rrl(rrl.rate(), rrl.slip(), rrl.ipv4Prefix(), rrl.ipv6Prefix(),
                        intValue(opt, value, 1, 3600));
                case "--lameduck" -> lameduck = intValue(opt, value, 0, 3600);
                case "--snapshot-dir" -> {
                    if (value.isBlank()) {
                        throw new ConfigException("option --snapshot-dir: empty directory name");
                    }
                    snapshotDir = Path.of(value);
                }
                case "--snapshot-max-age" -> {
                    snapshotMaxAge = intValue(opt, value, 1, 365 * 86_400);
                    snapshotMaxAgeGiven = true;
                }
                case "--records-max-file-bytes" -> recordsMaxFileBytes = intValue(opt, value, 1, 1 << 30);
                case "--records-max-records" -> recordsMaxRecords = intValue(opt, value, 0, 10_000_000);
                default -> throw new ConfigException("unknown option '" + opt + "'");
            }
        }
        if (noForwarding) {
            upstreams.clear();
        } else if (!upstreamsGiven) {
            upstreams.addAll(defaultUpstreams);
        }
        for (int a = 0; a < zones.size(); a++) {
            for (int b = a + 1; b < zones.size(); b++) {
                if (zones.get(a).equals(zones.get(b))) {
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
                throw new ConfigException("option --notify-listen: " + notifyListen.getAddress().getHostAddress()
                        + ":" + notifyListen.getPort() + " is the --listen address; give another port");
            }
        }
        return new ServerConfig(listen, records, List.copyOf(zones), List.copyOf(fallthrough), List.copyOf(upstreams),
                metrics, primary, tsig, notifyListen, udpSockets, cacheSize, zoneTtl, tcpIdleTimeout,
                tcpIoTimeout, tcpMaxConnections, tcpMaxPerClient, answerCacheMib, rrl,
                cacheBytes, maxConcurrent, lameduck, snapshotDir, snapshotMaxAge,
                recordsMaxFileBytes, recordsMaxRecords, maxConcurrentPerNetwork);
    }

    private static boolean isKnown(String opt) {
        return switch (opt) {
            case "--listen", "--records", "--zone", "--fallthrough", "--upstream", "--metrics", "--primary", "--tsig-key-file",
                 "--notify-listen", "--udp-sockets", "--cache-size", "--zone-ttl", "--tcp-idle-timeout",
                 "--tcp-io-timeout", "--tcp-max-connections", "--tcp-max-per-client", "--answer-cache-mib" -> true;
            case "--rrl-rate", "--rrl-slip", "--rrl-ipv4-prefix", "--rrl-ipv6-prefix", "--rrl-window" -> true;
            case "--cache-bytes", "--max-concurrent", "--max-concurrent-per-network" -> true;
            case "--lameduck", "--snapshot-dir", "--snapshot-max-age" -> true;
            case "--records-max-file-bytes", "--records-max-records" -> true;
            default -> false;
        };
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
            throw new ConfigException("option " + opt + ": '" + value + "' is not a valid zone name: " + e.getMessage());
        }
    }

    static InetSocketAddress hostPort(String opt, String value) throws ConfigException {
        return hostPort(opt, value, -1);
    }

    /** HOST:PORT, [IPv6]:PORT, or (when defaultPort >= 0) a bare host. Host must be an IP address or resolvable name. */
    static InetSocketAddress hostPort(String opt, String value, int defaultPort) throws ConfigException {
        String host;
        String port;
        String v = value.trim();
        if (v.startsWith("[")) {
            int close = v.indexOf(']');
            if (close < 0) {
                throw new ConfigException("option " + opt + ": '" + value + "' is not HOST:PORT");
            }
            host = v.substring(1, close);
            port = v.length() > close + 1 && v.charAt(close + 1) == ':' ? v.substring(close + 2) : null;
        } else {
            int colon = v.lastIndexOf(':');
            if (colon >= 0 && v.indexOf(':') == colon) {
                host = v.substring(0, colon);
                port = v.substring(colon + 1);
            } else if (colon >= 0) {
                host = v; // bare IPv6
                port = null;
            } else {
                host = v;
                port = null;
            }
        }
        int p;
        if (port == null) {
            if (defaultPort < 0) {
                throw new ConfigException("option " + opt + ": '" + value + "' has no port (HOST:PORT)");
            }
            p = defaultPort;
        } else {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw new ConfigException("option " + opt + ": port '" + port + "' is not a number");
            }
            if (p < 0 || p > 65535) {
                throw new ConfigException("option " + opt + ": port " + p + " is outside 0-65535");
            }
        }
        if (host.isEmpty()) {
            throw new ConfigException("option " + opt + ": '" + value + "' has no host");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), p);
        } catch (UnknownHostException e) {
            throw new ConfigException("option " + opt + ": unknown host '" + host + "'");
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
