package dev.zonekeeper.operator.discovery;

import java.util.Locale;

/**
 * A port of a Service or of an EndpointSlice, as far as DNS cares.
 *
 * @param name the port name, {@code ""} when unnamed (unnamed ports get no {@code _port._proto} SRV record)
 * @param protocol {@code TCP}, {@code UDP} or {@code SCTP} (Kubernetes' default is TCP); kept upper-case
 * @param port the port number; on an EndpointSlice this is the target port, on a Service the service port
 */
public record PortInfo(String name, String protocol, int port) {

    public PortInfo {
        name = name == null ? "" : name;
        protocol = protocol == null || protocol.isEmpty() ? "TCP" : protocol.toUpperCase(Locale.ROOT);
    }

    /** Whether the port can appear in an SRV record (1..65535). */
    public boolean usable() {
        return port >= 1 && port <= 0xFFFF;
    }

    public boolean named() {
        return !name.isEmpty();
    }
}
