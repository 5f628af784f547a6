package dev.zonekeeper.dns.forward;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xbill.DNS.Address;

/** Reads the {@code nameserver} lines of a resolv.conf(5) file: the default upstreams. */
public final class ResolvConf {
    /** Where the system resolver configuration lives. */
    public static final Path DEFAULT_PATH = Path.of("/etc/resolv.conf");
    /** The port of every nameserver in resolv.conf: the file has no syntax for another. */
    public static final int DNS_PORT = 53;

    private ResolvConf() {}

    /**
     * The nameservers of a resolv.conf text, in file order, on port 53. Comments ({@code #} or {@code ;}), other
     * keywords and blank lines are ignored; IPv6 addresses may carry a zone ({@code fe80::1%eth0}). A
     * {@code nameserver} line whose value is not an IP address literal is an error that names the line.
     */
    public static List<InetSocketAddress> parseNameservers(String text) {
        List<InetSocketAddress> result = new ArrayList<>();
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = stripComment(lines[i]).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (!fields[0].toLowerCase(Locale.ROOT).equals("nameserver")) {
                continue;
            }
            if (fields.length < 2) {
                throw new IllegalArgumentException("resolv.conf line " + (i + 1) + ": nameserver without an address");
            }
            result.add(new InetSocketAddress(parseIp(fields[1], i + 1), DNS_PORT));
        }
        return List.copyOf(result);
    }

    /** The nameservers of {@code file}; see {@link #parseNameservers(String)}. */
    public static List<InetSocketAddress> read(Path file) {
        try {
            return parseNameservers(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The nameservers of /etc/resolv.conf; an error if it has none. */
    public static List<InetSocketAddress> defaultUpstreams() {
        List<InetSocketAddress> servers = read(DEFAULT_PATH);
        if (servers.isEmpty()) {
            throw new IllegalStateException(DEFAULT_PATH + " has no nameserver line: configure upstreams explicitly");
        }
        return servers;
    }

    private static String stripComment(String line) {
        int hash = line.indexOf('#');
        int semi = line.indexOf(';');
        int cut = hash < 0 ? semi : semi < 0 ? hash : Math.min(hash, semi);
        return cut < 0 ? line : line.substring(0, cut);
    }

    private static InetAddress parseIp(String literal, int lineNo) {
        String addr = literal;
        int zone = addr.indexOf('%');
        String withoutZone = zone < 0 ? addr : addr.substring(0, zone);
        boolean ipv4 = zone < 0 && Address.toByteArray(withoutZone, Address.IPv4) != null;
        boolean ipv6 = Address.toByteArray(withoutZone, Address.IPv6) != null;
        if (!ipv4 && !ipv6) {
            throw new IllegalArgumentException(
                    "resolv.conf line " + lineNo + ": nameserver '" + literal + "' is not an IP address");
        }
        try {
            // a valid literal (checked above): getByName does no name lookup
            return InetAddress.getByName(addr);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(
                    "resolv.conf line " + lineNo + ": nameserver '" + literal + "' is not an IP address", e);
        }
    }
}
