package dev.zonekeeper.dns.standalone;

import dev.zonekeeper.dns.update.Grant;
import dev.zonekeeper.dns.update.UpdatePolicy;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/**
 * One {@code kind: DnsUpdatePolicy} document of standalone mode: the key read from {@code spec.keyFile} may change,
 * in {@code zone}, what {@code grants} allow. Compared by value (a reload that changes nothing is not delivered), so
 * the secret is kept as its base64 text; {@link #toString()} never shows it.
 *
 * @param file the manifest it came from
 * @param name {@code metadata.name}, naming the policy in metrics and logs
 */
public record PolicyDocument(
        Path file, String name, Name zone, Name keyName, Name algorithm, String secret, List<Grant> grants) {

    public PolicyDocument {
        grants = List.copyOf(grants);
    }

    /** The policy the update service enforces. */
    public UpdatePolicy policy() {
        return new UpdatePolicy(
                "",
                name,
                zone,
                keyName,
                new TSIG(algorithm, keyName, Base64.getDecoder().decode(secret)),
                grants);
    }

    @Override
    public String toString() {
        return "DnsUpdatePolicy " + name + " (" + file + "): zone " + zone + ", key " + keyName + " " + algorithm + ", "
                + grants.size() + " grant(s)";
    }
}
