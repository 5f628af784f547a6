package dev.zonekeeper.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * What {@link KnotServer} and {@link BindServer} share: a DNS daemon run in the foreground from a temp directory, its
 * output in {@code <name>.log} there, answering on one address; {@link #stop()} ends it and deletes the directory.
 */
abstract class LocalDnsDaemon implements AutoCloseable {
    private final String name;
    private final InetSocketAddress address;
    private final Path dir;
    private final ChildProcess process;

    LocalDnsDaemon(String name, InetSocketAddress address, Path dir, ChildProcess process) {
        this.name = name;
        this.address = address;
        this.dir = dir;
        this.process = process;
    }

    /** The log file of daemon {@code name} in {@code dir}, where {@link #log()} reads it. */
    static Path logFile(Path dir, String name) {
        return dir.resolve(name + ".log");
    }

    /** The address the daemon listens on (UDP and TCP). */
    public InetSocketAddress address() {
        return address;
    }

    public boolean isRunning() {
        return process.alive();
    }

    /** What the daemon printed so far. */
    public String log() {
        try {
            return Files.readString(logFile(dir, name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Ends the daemon (SIGTERM, then SIGKILL after 15 s), waits for it and deletes its directory. */
    public void stop() {
        process.close();
        deleteRecursively(dir);
    }

    @Override
    public void close() {
        stop();
    }

    /** Returns once every zone's SOA is answered authoritatively; else stops the daemon and fails with its log. */
    void awaitAnswering(Iterable<String> origins, Duration timeout) {
        try {
            await(name + " answering on " + address)
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> {
                        process.assertAlive();
                        for (String origin : origins) {
                            if (!answersSoa(origin)) {
                                return false;
                            }
                        }
                        return true;
                    });
        } catch (RuntimeException | AssertionError e) {
            String log = log();
            stop();
            throw new AssertionError(name + " did not start answering on " + address + "; its log:\n" + log, e);
        }
    }

    private boolean answersSoa(String origin) throws IOException {
        SimpleResolver resolver = new SimpleResolver(address);
        resolver.setTimeout(Duration.ofMillis(500));
        Message query = Message.newQuery(
                org.xbill.DNS.Record.newRecord(Name.fromString(origin, Name.root), Type.SOA, DClass.IN));
        Message response = resolver.send(query);
        return response.getRcode() == Rcode.NOERROR && response.getHeader().getFlag(Flags.AA);
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp directory
        }
    }

    /** {@code listen} itself, or with port 0 a port on its address free for both UDP and TCP. */
    static InetSocketAddress orFreePort(InetSocketAddress listen) {
        if (listen.getPort() != 0) {
            return listen;
        }
        InetAddress host = listen.getAddress();
        for (int tries = 0; tries < 100; tries++) {
            int port = ThreadLocalRandom.current().nextInt(20000, 60000);
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(host, port));
                    ServerSocket tcp = new ServerSocket()) {
                tcp.bind(new InetSocketAddress(host, port));
                return new InetSocketAddress(host, port);
            } catch (IOException busy) {
                // try another
            }
        }
        throw new IllegalStateException("no free UDP+TCP port on " + host);
    }
}
