package dev.zonekeeper.operator.discovery;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/** Zone-file text in tests: records are written as a person reads them and compared in dnsjava's text form. */
final class ZoneText {

    private ZoneText() {}

    /** Parses zone-file lines (absolute owner names, explicit TTL and class) with dnsjava's master-file parser. */
    static List<Record> parse(String text) {
        List<Record> out = new java.util.ArrayList<>();
        try (Master m = new Master(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), Name.root, 3600)) {
            Record r;
            while ((r = m.nextRecord()) != null) {
                out.add(r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The records as sorted presentation-format lines, TTL included, so a TTL difference shows too. */
    static Set<String> lines(Collection<? extends Record> records) {
        return records.stream().map(Record::toString).collect(Collectors.toCollection(TreeSet::new));
    }

    static Set<String> lines(String text) {
        return lines(parse(text));
    }
}
