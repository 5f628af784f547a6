package dev.zonekeeper.dns;

import dev.zonekeeper.dns.standalone.ManifestDirectory;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import org.xbill.DNS.Name;

/** The zones standalone mode builds from a records directory, for tests outside this package. */
public final class StandaloneZonesAccess {
    private StandaloneZonesAccess() {}

    /** The zones example.test. and 2.0.192.in-addr.arpa. built from {@code examples} as {@code main} builds them. */
    public static ZoneSet examples(Path examples) {
        List<Name> origins =
                List.of(Name.fromConstantString("example.test."), Name.fromConstantString("2.0.192.in-addr.arpa."));
        StandaloneZones builder = new StandaloneZones(origins, InetAddress.getLoopbackAddress(), 30);
        return builder.build(new ManifestDirectory(examples.resolve("records"), new LinkedHashSet<>(origins))
                .load()
                .records());
    }
}
