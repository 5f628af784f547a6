package dev.zonekeeper.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Real DNS clients for tests — dnsjava's {@link SimpleResolver}, ISC {@code dig} ({@code +yaml}) and Knot's
 * {@code kdig} ({@code +json}, RFC 8427) — and one normal form of their answers, {@link Reply}, so the same
 * expectation can be checked against all three.
 *
 * <p>Records are compared in canonical form (RFC 4034 section 6.2: owner and the names inside NS, CNAME, SOA, PTR,
 * MX, SRV... rdata in lower case): a server may compress names against the question as sent, so their letter case
 * follows the client's and carries no meaning (RFC 4343). Text such as TXT data keeps its case.
 */
public final class DnsClients {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private DnsClients() {}

    /**
     * One response as a client saw it.
     *
     * @param rcode full rcode name including the EDNS extended bits (e.g. BADVERS)
     * @param question the question as it came back, letter case as on the wire ("WwW.ExAmPlE.TeSt. A")
     * @param ednsUdpSize the responder's OPT UDP payload size, -1 without OPT
     * @param dnssecOk the DO bit of the responder's OPT
     * @param size the response's length in bytes
     */
    public record Reply(
            int id,
            String rcode,
            boolean aa,
            boolean tc,
            boolean ra,
            String question,
            Set<String> answer,
            Set<String> authority,
            Set<String> additional,
            int ednsUdpSize,
            boolean dnssecOk,
            int size) {
        /** The parts a user relies on, without ID, size and EDNS, for comparing two replies. */
        public String content() {
            return rcode + (aa ? " aa" : "") + (tc ? " tc" : "") + (ra ? " ra" : "") + (dnssecOk ? " do" : "")
                    + " q=" + question
                    + "\nanswer=" + answer + "\nauthority=" + authority + "\nadditional=" + additional;
        }
    }

    /** The three clients a table of cases is asked with. */
    public enum Client {
        DNSJAVA,
        DIG,
        KDIG;

        /** Asks {@code server} for {@code qname}/{@code qtype} with this client's defaults. */
        public Reply ask(InetSocketAddress server, String qname, String qtype) throws IOException {
            return switch (this) {
                case DNSJAVA -> dnsjava(server, qname, qtype);
                case DIG -> dig(server, qname, qtype);
                case KDIG -> kdig(server, qname, qtype);
            };
        }
    }

    /** Every client with every case: the arguments (client, case) of a parameterized test. */
    public static Stream<Arguments> everyClientWith(List<?> cases) {
        List<Arguments> out = new ArrayList<>();
        for (Client c : Client.values()) {
            for (Object tc : cases) {
                out.add(Arguments.of(c, tc));
            }
        }
        return out.stream();
    }

    /** Canonical record lines (owner, TTL, class, type, rdata, separated by white space) without their TTL. */
    public static Set<String> ttlFree(Set<String> lines) {
        Set<String> out = new TreeSet<>();
        for (String line : lines) {
            String[] f = line.split("\\s+", 3);
            out.add(f[0] + " " + f[2]);
        }
        return out;
    }

    /** A record in canonical presentation form; TTL 0 when {@code withTtl} is false. */
    public static String canonical(org.xbill.DNS.Record r, boolean withTtl) {
        return org.xbill.DNS.Record.newRecord(
                        r.getName().canonicalize(),
                        r.getType(),
                        r.getDClass(),
                        withTtl ? r.getTTL() : 0,
                        r.rdataToWireCanonical())
                .toString();
    }

    public static Set<String> canonical(Iterable<org.xbill.DNS.Record> records, boolean withTtl) {
        Set<String> out = new TreeSet<>();
        for (org.xbill.DNS.Record r : records) {
            if (r.getType() != Type.OPT) {
                out.add(canonical(r, withTtl));
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /** Zone-file lines (absolute names, "name TTL IN TYPE rdata") in canonical form. */
    public static Set<String> canonical(String zoneFileText, boolean withTtl) {
        return canonical(parse(zoneFileText), withTtl);
    }

    public static List<org.xbill.DNS.Record> parse(String zoneFileText) {
        List<org.xbill.DNS.Record> out = new ArrayList<>();
        try (Master m =
                new Master(new ByteArrayInputStream(zoneFileText.getBytes(StandardCharsets.UTF_8)), Name.root, 3600)) {
            org.xbill.DNS.Record r;
            while ((r = m.nextRecord()) != null) {
                out.add(r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse records: " + zoneFileText, e);
        }
        return out;
    }

    // ---- dnsjava

    /** A dnsjava response in normal form, TTLs kept. */
    public static Reply reply(Message m, int size) {
        return reply(m, size, true);
    }

    public static Reply reply(Message m, int size, boolean withTtl) {
        OPTRecord opt = m.getOPT();
        org.xbill.DNS.Record q = m.getQuestion();
        return new Reply(
                m.getHeader().getID(),
                Rcode.string(m.getRcode()),
                m.getHeader().getFlag(Flags.AA),
                m.getHeader().getFlag(Flags.TC),
                m.getHeader().getFlag(Flags.RA),
                q == null ? "" : q.getName() + " " + Type.string(q.getType()),
                canonical(m.getSection(Section.ANSWER), withTtl),
                canonical(m.getSection(Section.AUTHORITY), withTtl),
                canonical(m.getSection(Section.ADDITIONAL), withTtl),
                opt == null ? -1 : opt.getPayloadSize(),
                opt != null && (opt.getFlags() & ExtendedFlags.DO) != 0,
                size);
    }

    /** Asks over UDP with dnsjava (EDNS0 as SimpleResolver sends it, truncation not retried over TCP). */
    public static Reply dnsjava(InetSocketAddress server, String qname, String qtype) throws IOException {
        SimpleResolver resolver = new SimpleResolver(server);
        resolver.setTimeout(TIMEOUT);
        resolver.setIgnoreTruncation(true);
        Message query = Message.newQuery(
                org.xbill.DNS.Record.newRecord(Name.fromString(qname, Name.root), Type.value(qtype), DClass.IN));
        Message response = resolver.send(query);
        return reply(response, response.numBytes());
    }

    // ---- dig

    /** Runs {@code dig @server -p port qname qtype +yaml options...} and reads its YAML. */
    public static Reply dig(InetSocketAddress server, String qname, String qtype, String... options) {
        List<String> cmd = new ArrayList<>(List.of(
                tool("dig", "bind9-dnsutils").toString(),
                "@" + server.getAddress().getHostAddress(),
                "-p",
                String.valueOf(server.getPort()),
                "+yaml",
                "+nocmd",
                "+tries=1",
                "+time=5"));
        cmd.addAll(List.of(options));
        cmd.add(qname);
        cmd.add(qtype);
        String out = run(cmd);
        StringBuilder yaml = new StringBuilder();
        for (String line : out.split("\n")) {
            if (!line.startsWith(";")) {
                yaml.append(line).append('\n');
            }
        }
        JsonNode doc;
        try {
            doc = YAML.readTree(yaml.toString());
        } catch (IOException e) {
            throw new AssertionError("dig printed no YAML: " + out, e);
        }
        JsonNode msg = doc.get(0).path("message");
        if (!"MESSAGE".equals(doc.get(0).path("type").asText())) {
            throw new AssertionError("dig got no answer: " + out);
        }
        JsonNode data = msg.path("response_message_data");
        Set<String> flags = Set.of(data.path("flags").asText().split(" "));
        JsonNode edns = data.path("OPT_PSEUDOSECTION").path("EDNS");
        String question = data.path("QUESTION_SECTION").path(0).asText();
        String[] q = question.split("\\s+");
        return new Reply(
                data.path("id").asInt(),
                data.path("status").asText(),
                flags.contains("aa"),
                flags.contains("tc"),
                flags.contains("ra"),
                q.length >= 3 ? q[0] + " " + q[q.length - 1] : question,
                digSection(data.path("ANSWER_SECTION")),
                digSection(data.path("AUTHORITY_SECTION")),
                digSection(data.path("ADDITIONAL_SECTION")),
                edns.isMissingNode() ? -1 : edns.path("udp").asInt(),
                List.of(edns.path("flags").asText("").split(" ")).contains("do"),
                Integer.parseInt(msg.path("message_size").asText().replace("b", "")));
    }

    private static Set<String> digSection(JsonNode lines) {
        StringBuilder text = new StringBuilder();
        for (JsonNode line : lines) {
            text.append(line.asText()).append('\n');
        }
        return canonical(text.toString(), true);
    }

    // ---- kdig

    /**
     * Runs {@code kdig @server -p port qname qtype +json options...} and reads its RFC 8427 JSON; records are taken
     * from their RDATAHEX, so nothing depends on kdig's text form. Note: kdig sends the question name in lower case.
     */
    public static Reply kdig(InetSocketAddress server, String qname, String qtype, String... options) {
        List<String> cmd = new ArrayList<>(List.of(
                tool("kdig", "knot-dnsutils").toString(),
                "@" + server.getAddress().getHostAddress(),
                "-p",
                String.valueOf(server.getPort()),
                "+json",
                "+retry=0",
                "+time=5"));
        cmd.addAll(List.of(options));
        cmd.add(qname);
        cmd.add(qtype);
        String out = run(cmd);
        JsonNode m;
        try {
            m = JSON.readTree(out.substring(Math.max(0, out.indexOf('{'))));
        } catch (IOException e) {
            throw new AssertionError("kdig printed no JSON: " + out, e);
        }
        if (!m.has("RCODE")) {
            throw new AssertionError("kdig got no answer: " + out);
        }
        int rcode = m.path("RCODE").asInt();
        int udp = -1;
        boolean dnssecOk = false;
        List<org.xbill.DNS.Record> additional = new ArrayList<>();
        for (JsonNode rr : m.path("additionalRRs")) {
            if (rr.path("TYPE").asInt() == Type.OPT) {
                udp = rr.path("CLASS").asInt();
                rcode |= (int) ((rr.path("TTL").asLong() >>> 24) & 0xFF) << 4;
                dnssecOk = (rr.path("TTL").asLong() & ExtendedFlags.DO) != 0;
            } else {
                additional.add(kdigRecord(rr));
            }
        }
        return new Reply(
                m.path("ID").asInt(),
                Rcode.string(rcode),
                m.path("AA").asInt() == 1,
                m.path("TC").asInt() == 1,
                m.path("RA").asInt() == 1,
                m.path("QNAME").asText() + " " + m.path("QTYPEname").asText(),
                canonical(kdigRecords(m.path("answerRRs")), true),
                canonical(kdigRecords(m.path("authorityRRs")), true),
                canonical(additional, true),
                udp,
                dnssecOk,
                m.path("msgLength").asInt());
    }

    private static List<org.xbill.DNS.Record> kdigRecords(JsonNode rrs) {
        List<org.xbill.DNS.Record> out = new ArrayList<>();
        for (JsonNode rr : rrs) {
            out.add(kdigRecord(rr));
        }
        return out;
    }

    private static org.xbill.DNS.Record kdigRecord(JsonNode rr) {
        try {
            return org.xbill.DNS.Record.newRecord(
                    Name.fromString(rr.path("NAME").asText()),
                    rr.path("TYPE").asInt(),
                    rr.path("CLASS").asInt(1),
                    rr.path("TTL").asLong(),
                    HexFormat.of().parseHex(rr.path("RDATAHEX").asText()));
        } catch (IOException e) {
            throw new AssertionError("kdig record " + rr, e);
        }
    }

    // ---- tools

    /**
     * The path of a Debian tool. When missing: under {@code CI=true} the test fails naming the package to install,
     * elsewhere it is skipped with the same message.
     */
    public static Path tool(String name, String debianPackage) {
        Optional<Path> found = find(name);
        if (found.isPresent()) {
            return found.get();
        }
        String msg = name + " not found: this test runs the real tool; install Debian's package '" + debianPackage
                + "' (apt-get install -y " + debianPackage + ")";
        if ("true".equals(System.getenv("CI"))) {
            Assertions.fail(msg);
        }
        Assumptions.abort(msg);
        throw new IllegalStateException(msg);
    }

    /** An executable {@code name} on the PATH or in /usr/bin, /usr/sbin, /usr/local/bin, /usr/local/sbin. */
    public static Optional<Path> find(String name) {
        List<String> dirs =
                new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"));
        for (String d : dirs) {
            Path p = Path.of(d.isEmpty() ? "." : d, name);
            if (!d.isEmpty() && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Runs {@code cmd} (a client such as dig), its output on both streams as text; fails after 30 s. */
    public static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + cmd, e);
        }
    }
}
