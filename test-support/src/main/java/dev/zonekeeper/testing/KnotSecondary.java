package dev.zonekeeper.testing;

import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * A real Knot DNS ({@code knotd}) started from configuration text for a test, in its own directory, on a free
 * loopback port. The text may use {@code ${DIR}} (the working directory) and {@code ${PORT}} (the DNS port chosen
 * here); Knot's log goes to {@code ${DIR}/knot.log} at info level when the text has a {@code log:} section that
 * targets it. Also runs {@code kdig}. Missing binaries fail the test under {@code CI=true} with the Debian package to
 * install, and abort it (reported as skipped) elsewhere.
 */
public final class KnotSecondary implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final ChildProcess process;

    private KnotSecondary(Path dir, int port, ChildProcess process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** Starts knotd with {@code configText} (see the class comment for placeholders). */
    public static KnotSecondary start(Path dir, String configText) throws IOException {
        String knotd = DnsClients.tool("knotd", "knot").toString();
        int port = freePort();
        String conf = configText.replace("${DIR}", dir.toString()).replace("${PORT}", Integer.toString(port));
        Path confFile = dir.resolve("knot.conf");
        Files.writeString(confFile, conf, StandardCharsets.UTF_8);
        ChildProcess p =
                ChildProcess.start("knotd", List.of(knotd, "-c", confFile.toString()), dir.resolve("knotd.out"));
        KnotSecondary knot = new KnotSecondary(dir, port, p);
        // Ready when it answers over TCP.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            if (!p.alive()) {
                knot.close();
                fail("knotd exited: " + Files.readString(dir.resolve("knotd.out")));
            }
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return knot;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    knot.close();
                    fail("knotd did not listen on port " + port + ": " + Files.readString(dir.resolve("knotd.out")));
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException(ie);
                }
            }
        }
    }

    public int port() {
        return port;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    public Path dir() {
        return dir;
    }

    /** Knot's log so far ({@code ${DIR}/knot.log} if written, else its standard output). */
    public String log() throws IOException {
        Path log = dir.resolve("knot.log");
        return Files.exists(log) ? Files.readString(log) : Files.readString(dir.resolve("knotd.out"));
    }

    @Override
    public void close() {
        process.close();
    }

    /** The result of a {@code kdig} run. */
    public record Dig(int exitCode, String output) {
        /** The records printed (comments, blank lines and TSIG records left out), as a set of presentation lines. */
        public Set<String> records() throws IOException {
            return recordSet(output);
        }
    }

    /** Runs {@code kdig} with {@code args}. */
    public static Dig kdig(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(DnsClients.tool("kdig", "knot-dnsutils").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("kdig " + String.join(" ", args) + " did not finish");
        }
        return new Dig(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /**
     * Records in presentation-format {@code text} (zone-file or dig output) as a normalized set of lines: parsed by
     * dnsjava and printed again, TSIG and comments dropped, duplicates (like the closing SOA of AXFR) merged.
     */
    public static Set<String> recordSet(String text) throws IOException {
        StringBuilder data = new StringBuilder();
        for (String line : text.split("\n")) {
            String t = line.strip();
            String[] fields = t.split("\\s+");
            if (t.isEmpty() || t.startsWith(";") || fields.length > 3 && fields[3].equals("TSIG")) {
                continue;
            }
            data.append(line).append('\n');
        }
        Set<String> set = new HashSet<>();
        try (Master m =
                new Master(new ByteArrayInputStream(data.toString().getBytes(StandardCharsets.UTF_8)), Name.root)) {
            org.xbill.DNS.Record r;
            while ((r = m.nextRecord()) != null) {
                if (r.getType() != Type.TSIG) {
                    set.add(r.toString());
                }
            }
        }
        return set;
    }

    /** Records as the same normalized set of lines as {@link #recordSet}. */
    public static Set<String> recordSet(List<org.xbill.DNS.Record> records) {
        Set<String> set = new HashSet<>();
        for (org.xbill.DNS.Record r : records) {
            set.add(r.toString());
        }
        return set;
    }

    /** A port free for both TCP and UDP on the loopback address. */
    public static int freePort() throws IOException {
        for (int i = 0; i < 50; i++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                return port;
            } catch (IOException e) {
                // taken for UDP: try another
            }
        }
        throw new IOException("no free loopback port for TCP and UDP");
    }
}
