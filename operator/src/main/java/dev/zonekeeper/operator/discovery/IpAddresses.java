package dev.zonekeeper.operator.discovery;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import org.xbill.DNS.Address;

/** Literal IP address handling: parsing without any name lookup, and the dashed DNS-label forms Kubernetes uses. */
final class IpAddresses {

    private IpAddresses() {}

    /** Parses an IPv4 or IPv6 literal; {@code null} when {@code s} is not one (never resolves a name). */
    static InetAddress parse(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        byte[] bytes =
                s.indexOf(':') >= 0 ? Address.toByteArray(s, Address.IPv6) : Address.toByteArray(s, Address.IPv4);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null; // only thrown for a wrong length, which toByteArray does not produce
        }
    }

    /** Whether {@code s} is an IP literal. */
    static boolean isLiteral(String s) {
        return parse(s) != null;
    }

    /**
     * The dashed label of an address, as CoreDNS builds endpoint and pod names: {@code 10.1.2.3} gives
     * {@code 10-1-2-3}; an IPv6 address in its RFC 5952 text form with {@code :} replaced by {@code -}, and a
     * {@code 0} appended when the result would end in a dash ({@code fd00::} gives {@code fd00--0}).
     */
    static String dashed(InetAddress ip) {
        if (ip instanceof Inet4Address) {
            return ip.getHostAddress().replace('.', '-');
        }
        String label = rfc5952((Inet6Address) ip).replace(':', '-');
        return label.endsWith("-") ? label + "0" : label;
    }

    /** The RFC 5952 canonical text of an IPv6 address (lower case, longest zero run as {@code ::}). */
    static String rfc5952(Inet6Address ip) {
        byte[] b = ip.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestStart = -1;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }
}
