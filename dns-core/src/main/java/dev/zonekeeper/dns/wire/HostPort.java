package dev.zonekeeper.dns.wire;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.xbill.DNS.Address;

/**
 * A {@code HOST:PORT} setting, the one parser of every such option of the DNS server and the operator: {@code
 * 192.0.2.1:53}, {@code [2001:db8::1]:53}, {@code name:53}, and, where the setting has a default port, a bare host
 * ({@code 192.0.2.1}, {@code 2001:db8::1}, {@code [2001:db8::1]}, {@code name}). A bare IPv6 address never carries a
 * port ({@code ::1:53} is the address {@code ::1:53}): write {@code [::1]:53}.
 *
 * <p>Plain Java on purpose (it lives in {@code wire}, which the operator reaches through {@code dns-core}). Errors are
 * {@link IllegalArgumentException}s whose message the caller prefixes with the setting's name.
 *
 * @param host the host as written, brackets removed: an IP address or a name
 * @param port 0-65535
 */
public record HostPort(String host, int port) {

    /** {@code HOST:PORT}, the port required. */
    public static HostPort parse(String value) {
        return parse(value, -1);
    }

    /**
     * {@code HOST:PORT}, or a bare host taking {@code defaultPort} (when it is 0 or more).
     *
     * @throws IllegalArgumentException saying what is wrong with {@code value}, e.g. {@code '127.0.0.1' has no port}
     */
    public static HostPort parse(String value, int defaultPort) {
        String v = value.trim();
        String host;
        String port;
        if (v.startsWith("[")) {
            int close = v.indexOf(']');
            if (close < 0 || (v.length() > close + 1 && v.charAt(close + 1) != ':')) {
                throw new IllegalArgumentException("'" + value + "' is not HOST:PORT");
            }
            host = v.substring(1, close);
            port = v.length() > close + 1 ? v.substring(close + 2) : null;
        } else {
            int colon = v.indexOf(':');
            boolean oneColon = colon >= 0 && v.lastIndexOf(':') == colon;
            host = oneColon ? v.substring(0, colon) : v; // several colons: a bare IPv6 address
            port = oneColon ? v.substring(colon + 1) : null;
        }
        int p;
        if (port == null) {
            if (defaultPort < 0) {
                throw new IllegalArgumentException("'" + value + "' has no port (HOST:PORT)");
            }
            p = defaultPort;
        } else {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("port '" + port + "' is not a number");
            }
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("port " + p + " is outside 0-65535");
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("'" + value + "' has no host");
        }
        return new HostPort(host, p);
    }

    /** The address, the host looked up when it is a name (an IP address is taken as it is). */
    public InetSocketAddress resolve() {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host '" + host + "'");
        }
    }

    /** The address when the host is an IP address; a name is refused (no lookup). */
    public InetSocketAddress literal() {
        byte[] bytes = Address.toByteArray(host, host.indexOf(':') >= 0 ? Address.IPv6 : Address.IPv4);
        if (bytes == null) {
            throw new IllegalArgumentException("host '" + host + "' is not an IP address");
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("host '" + host + "': " + e.getMessage(), e);
        }
    }

    /** {@code 192.0.2.1:53} or {@code [2001:db8::1]:53}: what {@link #parse} reads back. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
