package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.dns.StandaloneZones;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.TransportKind;
import dev.zonekeeper.dns.standalone.ManifestDirectory;
import dev.zonekeeper.dns.testing.InProcessServer;
import dev.zonekeeper.dns.testing.Packets;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Issue point 4: bad input. Hand-made packets of every kind over real UDP with the exact outcome and meter; then
 * generated packets, in-process under Netty's paranoid leak detection and over real UDP; then bad TCP streams. After
 * all of it the server still answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    private static final int DROP = -1;
    private static final int SENTINEL_ID = 0xBEEF;

    private DnsServer server;
    private InetSocketAddress dns;

    @BeforeAll
    void start() {
        server = InProcessServer.start(
                "--records",
                InProcessServer.exampleRecords().toString(),
                "--zone",
                "example.test",
                "--zone",
                "2.0.192.in-addr.arpa",
                "--upstream",
                "none",
                "--udp-sockets",
                "2");
        dns = InProcessServer.dns(server);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // (a) one packet of each kind, over UDP

    static Stream<Arguments> handMade() {
        int id = 0x4242;
        byte[] good = Packets.query(id, "www.example.test", Type.A, false);
        byte[] rd = Packets.header(id, 0x0100, 1, 0, 0, 0).build();
        String longLabel = "a".repeat(63);
        return Stream.of(
                // too short: dropped
                row("5 random bytes", new byte[] {0x13, 0x37, (byte) 0xFF, 0, 9}, DROP, "dropped", "too_short"),
                row("a header cut at 11 bytes", Arrays.copyOf(good, 11), DROP, "dropped", "too_short"),
                // names that cannot be read: FORMERR, header only
                row("QDCOUNT 1 but the packet ends after the header", rd, Rcode.FORMERR, "malformed", "malformed"),
                row("question cut inside the name", Arrays.copyOf(good, 20), Rcode.FORMERR, "malformed", "malformed"),
                row(
                        "question without type and class",
                        Arrays.copyOf(good, good.length - 4),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "compression pointer to itself",
                        Packets.header(id, 0, 1, 0, 0, 0)
                                .u16(0xC00C)
                                .u16(1)
                                .u16(1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "two compression pointers pointing at each other",
                        Packets.header(id, 0, 1, 0, 0, 0)
                                .u8(1)
                                .u8('a')
                                .u16(0xC010)
                                .u16(0xC00C)
                                .u16(1)
                                .u16(1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "compression pointer past the end",
                        Packets.header(id, 0, 1, 0, 0, 0)
                                .u16(0xC3FF)
                                .u16(1)
                                .u16(1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "label length 64 (over 63, label type 01)",
                        Packets.header(id, 0, 1, 0, 0, 0)
                                .u8(64)
                                .bytes(("b" + longLabel).getBytes())
                                .u8(0)
                                .u16(1)
                                .u16(1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "label length 0x80 (reserved label type)",
                        Packets.header(id, 0, 1, 0, 0, 0)
                                .u8(0x80)
                                .u8(0)
                                .u16(1)
                                .u16(1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "name of 321 bytes (over 255)",
                        Packets.header(id, 0, 1, 0, 0, 0)
                                .question(String.join(".", longLabel, longLabel, longLabel, longLabel, longLabel), 1, 1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                // counts that lie
                row(
                        "ANCOUNT 3 with no answers",
                        Packets.header(id, 0, 1, 3, 0, 0)
                                .question("www.example.test", 1, 1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "QDCOUNT 2 with one question",
                        Packets.header(id, 0, 2, 0, 0, 0)
                                .question("www.example.test", 1, 1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "ARCOUNT 1 with a cut OPT record",
                        Arrays.copyOf(Packets.query(id, "www.example.test", Type.A, true), good.length + 5),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "NSCOUNT 65535",
                        Packets.header(id, 0, 1, 0, 65535, 0)
                                .question("www.example.test", 1, 1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "QDCOUNT 0",
                        Packets.header(id, 0x0100, 0, 0, 0, 0).build(),
                        Rcode.FORMERR,
                        "malformed",
                        "bad_qdcount"),
                row(
                        "QDCOUNT 2 with two questions",
                        Packets.header(id, 0, 2, 0, 0, 0)
                                .question("www.example.test", 1, 1)
                                .question("app.example.test", 1, 1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "bad_qdcount"),
                row(
                        "TC set, QDCOUNT 1, no question",
                        Packets.header(id, 0x0200, 1, 0, 0, 0).build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                row(
                        "TC set, ANCOUNT 2, no answers",
                        Packets.header(id, 0x0200, 1, 2, 0, 0)
                                .question("www.example.test", 1, 1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "malformed"),
                // responses are never answered
                row(
                        "QR=1, a response",
                        Packets.header(id, 0x8180, 1, 0, 0, 0)
                                .question("www.example.test", 1, 1)
                                .build(),
                        DROP,
                        "dropped",
                        "qr_set"),
                row(
                        "QR=1 with an answer",
                        Packets.header(id, 0x8400, 1, 1, 0, 0)
                                .question("www.example.test", 1, 1)
                                .u16(0xC00C)
                                .u16(1)
                                .u16(1)
                                .u32(60)
                                .u16(4)
                                .u32(0x7F000001L)
                                .build(),
                        DROP,
                        "dropped",
                        "qr_set"),
                row(
                        "QR=1 and garbage after the header",
                        Packets.header(id, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF)
                                .u32(0xDEADBEEFL)
                                .build(),
                        DROP,
                        "dropped",
                        "qr_set"),
                // opcodes other than QUERY: NOTIMP
                row("opcode IQUERY (1)", opcode(id, 1), Rcode.NOTIMP, "malformed", "unknown_opcode"),
                row("opcode STATUS (2)", opcode(id, 2), Rcode.NOTIMP, "malformed", "unknown_opcode"),
                row("opcode 3 (unassigned)", opcode(id, 3), Rcode.NOTIMP, "malformed", "unknown_opcode"),
                row("opcode NOTIFY (4)", opcode(id, 4), Rcode.NOTIMP, "malformed", "unknown_opcode"),
                row("opcode UPDATE (5)", opcode(id, 5), Rcode.NOTIMP, "malformed", "unknown_opcode"),
                row("opcode 15", opcode(id, 15), Rcode.NOTIMP, "malformed", "unknown_opcode"),
                // classes other than IN (and ANY): REFUSED
                row("class CH", klass(id, DClass.CH), Rcode.REFUSED, "malformed", "unknown_class"),
                row("class HS", klass(id, DClass.HS), Rcode.REFUSED, "malformed", "unknown_class"),
                row("class NONE", klass(id, DClass.NONE), Rcode.REFUSED, "malformed", "unknown_class"),
                row("class 4660", klass(id, 0x1234), Rcode.REFUSED, "malformed", "unknown_class"),
                row("class 0", klass(id, 0), Rcode.REFUSED, "malformed", "unknown_class"),
                // EDNS and question types a query cannot have
                row(
                        "EDNS version 1",
                        Packets.header(id, 0, 1, 0, 0, 1)
                                .question("www.example.test", 1, 1)
                                .opt(1232, 1)
                                .build(),
                        Rcode.BADVERS,
                        "malformed",
                        "bad_edns_version"),
                row(
                        "two OPT records",
                        Packets.header(id, 0, 1, 0, 0, 2)
                                .question("www.example.test", 1, 1)
                                .opt(1232, 0)
                                .opt(1232, 0)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "format_error"),
                row(
                        "OPT owner not the root",
                        Packets.header(id, 0, 1, 0, 0, 1)
                                .question("www.example.test", 1, 1)
                                .u8(1)
                                .u8('x')
                                .u8(0)
                                .u16(41)
                                .u16(1232)
                                .u32(0)
                                .u16(0)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "format_error"),
                row(
                        "question type OPT",
                        Packets.header(id, 0, 1, 0, 0, 0)
                                .question("www.example.test", 41, 1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "format_error"),
                row(
                        "question type 0",
                        Packets.header(id, 0, 1, 0, 0, 0)
                                .question("www.example.test", 0, 1)
                                .build(),
                        Rcode.FORMERR,
                        "malformed",
                        "format_error"),
                row(
                        "AXFR over UDP",
                        Packets.header(id, 0, 1, 0, 0, 0)
                                .question("example.test", Type.AXFR, 1)
                                .build(),
                        Rcode.REFUSED,
                        "malformed",
                        "transfer_refused"));
    }

    private static byte[] opcode(int id, int opcode) {
        return Packets.header(id, opcode << 11, 1, 0, 0, 0)
                .question("www.example.test", 1, 1)
                .build();
    }

    private static byte[] klass(int id, int dclass) {
        return Packets.header(id, 0x0100, 1, 0, 0, 0)
                .question("www.example.test", 1, dclass)
                .build();
    }

    private static Arguments row(String what, byte[] packet, int rcode, String meter, String reason) {
        return Arguments.of(what, packet, rcode, meter, reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("handMade")
    void handMadePacketGetsTheRightOutcomeAndIsCounted(
            String what, byte[] packet, int rcode, String meter, String reason) throws IOException {
        String name = "zonekeeper.dns." + meter;
        double before = counter(name, reason);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            socket.connect(dns);
            socket.setSoTimeout(5000);
            socket.send(new DatagramPacket(packet, packet.length));
            if (rcode == DROP) {
                // A good query sent after it on the same socket is handled after it (same server socket and event
                // loop): the first datagram back must be the good query's answer, so the bad one got none.
                byte[] sentinel = Packets.query(SENTINEL_ID, "www.example.test", Type.A, false);
                socket.send(new DatagramPacket(sentinel, sentinel.length));
                Message first = receive(socket);
                assertThat(first.getHeader().getID()).as("first datagram back").isEqualTo(SENTINEL_ID);
                assertThat(first.getRcode()).isEqualTo(Rcode.NOERROR);
            } else {
                Message response = receive(socket);
                assertThat(response.getHeader().getID()).as("ID echoed").isEqualTo(Packets.u16(packet, 0));
                assertThat(response.getHeader().getFlag(Flags.QR)).as("QR").isTrue();
                assertThat(response.getRcode())
                        .as("rcode %s", Rcode.string(response.getRcode()))
                        .isEqualTo(rcode);
                assertThat(response.getHeader().getOpcode())
                        .as("opcode echoed")
                        .isEqualTo((Packets.u16(packet, 2) >>> 11) & 0xF);
            }
        }
        await(name + "{reason=" + reason + "}")
                .atMost(Duration.ofSeconds(5))
                .until(() -> counter(name, reason), v -> v == before + 1);
    }

    private static Message receive(DatagramSocket socket) throws IOException {
        byte[] buf = new byte[65535];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        return new Message(Arrays.copyOf(buf, p.getLength()));
    }

    private double counter(String name, String reason) {
        Counter c = server.metrics().registry().find(name).tag("reason", reason).counter();
        assertThat(c).as("meter %s{reason=%s}", name, reason).isNotNull();
        return c.count();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // (b) generated packets, in-process

    @Test
    void hundredThousandMutatedPacketsInProcessNeitherThrowNorLeakAndGetWellFormedAnswers() throws IOException {
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try {
            fuzzInProcess(100_000);
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
    }

    private void fuzzInProcess(int count) throws IOException {
        long seed = new SplittableRandom().nextLong();
        System.out.println("BadInputTest in-process seed: " + seed + "L");
        SplittableRandom random = new SplittableRandom(seed);
        Packets.Mutator mutator = new Packets.Mutator(random);
        DnsMetrics metrics = new DnsMetrics();
        QueryProcessor processor = new QueryProcessor(exampleZones(), metrics, new FakeUpstream());
        CountingAllocator alloc = new CountingAllocator();
        List<ByteBuf> late = new ArrayList<>();
        QueryProcessor.Responder responder = (context, response) -> late.add(response);
        List<String> failures = new ArrayList<>();
        int answered = 0;
        int dropped = 0;
        for (int i = 0; i < count && failures.size() < 10; i++) {
            byte[] packet = mutator.next();
            TransportKind transport = random.nextInt(4) == 0 ? TransportKind.TCP : TransportKind.UDP;
            ByteBuf in = Unpooled.wrappedBuffer(packet);
            alloc.handedOut.clear();
            late.clear();
            String where = "packet " + i + " (seed " + seed + "L, " + (transport == TransportKind.UDP ? "udp" : "tcp")
                    + "): " + HexFormat.of().formatHex(packet);
            ByteBuf out;
            try {
                out = processor.process(in, transport, alloc, responder, "ctx", System.nanoTime());
            } catch (Throwable t) {
                failures.add(where + "\n  threw " + stackTrace(t));
                continue;
            }
            if (in.refCnt() != 1 || in.readerIndex() != 0) {
                failures.add(where + "\n  the query buffer was released or read: refCnt " + in.refCnt());
            }
            in.release();
            List<ByteBuf> responses = new ArrayList<>(late);
            if (out != null) {
                responses.add(out);
            }
            boolean mustDrop = packet.length < 12 || (packet[2] & 0x80) != 0;
            if (mustDrop) {
                dropped++;
                if (!responses.isEmpty()) {
                    failures.add(where + "\n  answered a packet that must be dropped");
                }
            } else if (responses.size() != 1) {
                failures.add(where + "\n  " + responses.size() + " responses, wanted exactly 1");
            } else {
                answered++;
            }
            for (ByteBuf r : responses) {
                String problem = checkResponse(packet, r, transport);
                if (problem != null) {
                    failures.add(where + "\n  " + problem);
                }
                r.release();
                if (r.refCnt() != 0) {
                    failures.add(where + "\n  response refCnt " + r.refCnt() + " after release");
                }
            }
            for (ByteBuf b : alloc.handedOut) {
                if (b.refCnt() != 0) {
                    failures.add(where + "\n  a buffer of " + b.capacity() + " bytes was allocated and never released");
                    b.release(b.refCnt());
                }
            }
        }
        assertThat(failures).as("seed %sL", seed).isEmpty();
        assertThat(sum(metrics, "zonekeeper.dns.dropped")).isEqualTo(dropped);
        assertThat(sum(metrics, "zonekeeper.dns.responses")).isEqualTo(answered);
        assertThat(answered + dropped).isEqualTo(count);
        System.out.println("BadInputTest in-process: " + count + " packets, " + answered + " answered, " + dropped
                + " dropped, " + (long) sum(metrics, "zonekeeper.dns.malformed") + " counted as malformed");
    }

    /** Null when the response is a well-formed answer to that query, else what is wrong with it. */
    private static String checkResponse(byte[] query, ByteBuf response, TransportKind transport) {
        byte[] wire = ByteBufUtil.getBytes(response);
        Message m;
        try {
            m = new Message(wire);
        } catch (IOException | RuntimeException e) {
            return "response does not parse (" + e.getMessage() + "): "
                    + HexFormat.of().formatHex(wire);
        }
        if (!m.getHeader().getFlag(Flags.QR)) {
            return "response without QR";
        }
        if (m.getHeader().getID() != Packets.u16(query, 0)) {
            return "response ID " + m.getHeader().getID() + " is not the query's " + Packets.u16(query, 0);
        }
        if (transport == TransportKind.UDP && wire.length > QueryProcessor.EDNS_UDP_SIZE) {
            return "UDP response of " + wire.length + " bytes";
        }
        boolean parses;
        try {
            new Message(query);
            parses = true;
        } catch (IOException | RuntimeException e) {
            parses = false;
        }
        if (!parses && m.getRcode() != Rcode.FORMERR) {
            return "a query dnsjava cannot parse got " + Rcode.string(m.getRcode()) + ", not FORMERR";
        }
        return null;
    }

    private static String stackTrace(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    private static double sum(DnsMetrics metrics, String name) {
        double total = 0;
        for (double c : metrics.counts(name).values()) {
            total += c;
        }
        return total;
    }

    private static dev.zonekeeper.dns.zone.ZoneSet exampleZones() {
        List<Name> origins =
                List.of(Name.fromConstantString("example.test."), Name.fromConstantString("2.0.192.in-addr.arpa."));
        ManifestDirectory manifests =
                new ManifestDirectory(InProcessServer.exampleRecords(), new LinkedHashSet<>(origins));
        return new StandaloneZones(origins, InetAddress.getLoopbackAddress(), 30)
                .build(manifests.load().records());
    }

    /** An upstream that answers at once: an answer (sometimes too big for UDP), a failure, or a thrown exception. */
    private static final class FakeUpstream implements Function<Message, CompletableFuture<Message>> {
        @Override
        public CompletableFuture<Message> apply(Message query) {
            if (query.getHeader().getID() % 1024 == 1) {
                throw new IllegalStateException("forwarder broken");
            }
            switch (query.getHeader().getID() % 4) {
                case 0:
                case 1:
                    return CompletableFuture.failedFuture(new IOException("upstream timed out"));
                default:
                    Message r = new Message(query.getHeader().getID());
                    r.getHeader().setFlag(Flags.QR);
                    r.getHeader().setFlag(Flags.RA);
                    r.addRecord(query.getQuestion(), Section.QUESTION);
                    int records = query.getHeader().getID() % 4 == 2 ? 2 : 120;
                    for (int i = 0; i < records; i++) {
                        r.addRecord(
                                new ARecord(query.getQuestion().getName(), DClass.IN, 60, new byte[] {
                                    10, 0, (byte) (i >> 8), (byte) i
                                }),
                                Section.ANSWER);
                    }
                    r.addRecord(new OPTRecord(4096, 0, 0, 0), Section.ADDITIONAL);
                    return CompletableFuture.completedFuture(r);
            }
        }
    }

    /** Unpooled buffers under the leak detector, each one remembered so the test can check it was released. */
    static final class CountingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> handedOut = new ArrayList<>();

        CountingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
            handedOut.add(b);
            return b;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
            handedOut.add(b);
            return b;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // (b) generated packets over real UDP

    @Test
    void twentyThousandMutatedPacketsOverUdpAreEachAnsweredOrDroppedAndCounted() throws Exception {
        int count = 20_000;
        long seed = new SplittableRandom().nextLong();
        System.out.println("BadInputTest UDP seed: " + seed + "L");
        Packets.Mutator mutator = new Packets.Mutator(new SplittableRandom(seed));
        // The same packets through a reference processor with the same zones tell what each outcome must be.
        DnsMetrics expected = new DnsMetrics();
        QueryProcessor reference = new QueryProcessor(exampleZones(), expected, null);
        CountingAllocator alloc = new CountingAllocator();
        Map<String, Double> before = snapshot(server.metrics());
        AtomicInteger received = new AtomicInteger();
        AtomicReference<String> badResponse = new AtomicReference<>();
        java.util.Set<Integer> answeredIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            socket.setReceiveBufferSize(4 << 20);
            socket.connect(dns);
            Thread reader = new Thread(
                    () -> {
                        byte[] buf = new byte[65535];
                        while (!socket.isClosed()) {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            try {
                                socket.receive(p);
                                Message m = new Message(Arrays.copyOf(buf, p.getLength()));
                                if (!m.getHeader().getFlag(Flags.QR)
                                        || !answeredIds.contains(m.getHeader().getID())) {
                                    badResponse.compareAndSet(null, "unexpected response " + m);
                                }
                                received.incrementAndGet();
                            } catch (IOException e) {
                                if (!socket.isClosed()) {
                                    badResponse.compareAndSet(null, "unreadable response: " + e);
                                }
                            }
                        }
                    },
                    "bad-input-udp-reader");
            reader.setDaemon(true);
            reader.start();
            int expectedAnswers = 0;
            int sent = 0;
            while (sent < count) {
                int batch = Math.min(200, count - sent);
                for (int i = 0; i < batch; i++) {
                    byte[] packet = mutator.next();
                    while (packet.length == 0) {
                        // the epoll transport never hands an empty datagram to the server: see emptyDatagram...
                        packet = mutator.next();
                    }
                    if (packet.length > 1400) {
                        packet = Arrays.copyOf(packet, 1400);
                    }
                    ByteBuf in = Unpooled.wrappedBuffer(packet);
                    ByteBuf out = reference.process(in, TransportKind.UDP, alloc, null, null, System.nanoTime());
                    if (out != null) {
                        expectedAnswers++;
                        answeredIds.add(Packets.u16(packet, 0));
                        out.release();
                    }
                    socket.send(new DatagramPacket(packet, packet.length));
                }
                sent += batch;
                int total = sent;
                // Pace: wait until the server has handled every datagram so far, so no socket buffer overflows.
                await("server handled " + total + " datagrams")
                        .atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(5))
                        .until(() -> handled(server.metrics(), before), v -> v >= total);
            }
            int answers = expectedAnswers;
            await("responses received").atMost(Duration.ofSeconds(10)).until(received::get, v -> v >= answers);
            assertThat(received.get()).as("responses received").isEqualTo(answers);
            assertThat(badResponse.get()).isNull();
        }
        Map<String, Double> after = snapshot(server.metrics());
        Map<String, Double> delta = new HashMap<>();
        for (Map.Entry<String, Double> e : after.entrySet()) {
            double d = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            if (d != 0) {
                delta.put(e.getKey(), d);
            }
        }
        Map<String, Double> want = snapshot(expected);
        want.values().removeIf(v -> v == 0);
        assertThat(delta)
                .as("server meter increments vs the reference processor's (seed %sL)", seed)
                .isEqualTo(want);
        assertThat(handled(server.metrics(), before)).as("dropped + responses").isEqualTo(count);
        System.out.println("BadInputTest UDP: " + count + " sent, meters " + new java.util.TreeMap<>(delta));
        assertNormalQueryWorks();
    }

    @Test
    void emptyDatagramGetsNoAnswer() throws IOException {
        // Netty's epoll transport reads a zero-length datagram as "nothing read" and never passes it to the handler,
        // so it is neither answered nor counted; the good query after it is answered first.
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            socket.connect(dns);
            socket.setSoTimeout(5000);
            socket.send(new DatagramPacket(new byte[0], 0));
            byte[] sentinel = Packets.query(SENTINEL_ID, "www.example.test", Type.A, false);
            socket.send(new DatagramPacket(sentinel, sentinel.length));
            assertThat(receive(socket).getHeader().getID()).isEqualTo(SENTINEL_ID);
        }
    }

    /** Dropped, malformed and responses counters by tag, plus queries. */
    private static Map<String, Double> snapshot(DnsMetrics metrics) {
        Map<String, Double> m = new HashMap<>();
        for (String name : List.of(
                "zonekeeper.dns.dropped",
                "zonekeeper.dns.malformed",
                "zonekeeper.dns.responses",
                "zonekeeper.dns.queries")) {
            metrics.counts(name).forEach((tags, count) -> m.put(name + tags, count));
        }
        return m;
    }

    private static double handled(DnsMetrics metrics, Map<String, Double> before) {
        double total = 0;
        for (String name : List.of("zonekeeper.dns.dropped", "zonekeeper.dns.responses")) {
            for (Map.Entry<List<io.micrometer.core.instrument.Tag>, Double> c :
                    metrics.counts(name).entrySet()) {
                total += c.getValue() - before.getOrDefault(name + c.getKey(), 0.0);
            }
        }
        return total;
    }

    private void assertNormalQueryWorks() throws IOException {
        for (boolean tcp : new boolean[] {false, true}) {
            SimpleResolver resolver = new SimpleResolver(dns);
            resolver.setTCP(tcp);
            resolver.setTimeout(Duration.ofSeconds(5));
            Message response = resolver.send(Message.newQuery(
                    org.xbill.DNS.Record.newRecord(Name.fromConstantString("www.example.test."), Type.A, DClass.IN)));
            assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(response.getHeader().getFlag(Flags.AA)).isTrue();
            assertThat(response.getSection(Section.ANSWER))
                    .extracting(r -> r.rdataToString())
                    .containsExactlyInAnyOrder("192.0.2.10", "192.0.2.11");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // TCP

    @Test
    void tcpFrameLongerThanTheDataThenEndOfInputClosesWithoutAnAnswer() throws IOException {
        try (Socket s = connect()) {
            byte[] q = Packets.query(7, "www.example.test", Type.A, false);
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0, (byte) (q.length + 50)});
            out.write(q);
            out.flush();
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).as("end of stream, no answer").isEqualTo(-1);
        }
        assertNormalQueryWorks();
    }

    @Test
    void tcpFrameShorterThanAHeaderIsDroppedAndTheConnectionStillServes() throws IOException {
        double before = counter("zonekeeper.dns.dropped", "too_short");
        try (Socket s = connect()) {
            byte[] q = Packets.query(8, "www.example.test", Type.A, false);
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0, 5, 1, 2, 3, 4, 5});
            out.write(new byte[] {0, (byte) q.length});
            out.write(q);
            out.flush();
            Message m = readFrame(new DataInputStream(s.getInputStream()));
            assertThat(m.getHeader().getID()).isEqualTo(8);
            assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(m.getSection(Section.ANSWER)).hasSize(2);
        }
        assertThat(counter("zonekeeper.dns.dropped", "too_short")).isEqualTo(before + 1);
    }

    @Test
    void tcpFrameWithGarbageGetsFormerrOnTheSameConnection() throws IOException {
        double before = counter("zonekeeper.dns.malformed", "malformed");
        try (Socket s = connect()) {
            byte[] garbage = Packets.header(0x0102, 0, 1, 0, 0, 0)
                    .u16(0xC00C)
                    .u16(1)
                    .u16(1)
                    .build();
            byte[] q = Packets.query(9, "app.example.test", Type.A, false);
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0, (byte) garbage.length});
            out.write(garbage);
            out.write(new byte[] {0, (byte) q.length});
            out.write(q);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            Message first = readFrame(in);
            assertThat(first.getHeader().getID()).isEqualTo(0x0102);
            assertThat(first.getRcode()).isEqualTo(Rcode.FORMERR);
            Message second = readFrame(in);
            assertThat(second.getHeader().getID()).isEqualTo(9);
            assertThat(second.getRcode()).isEqualTo(Rcode.NOERROR);
        }
        assertThat(counter("zonekeeper.dns.malformed", "malformed")).isEqualTo(before + 1);
    }

    @Test
    void tcpConnectionSendingRandomBytesGetsOnlyWellFormedAnswersThenANewConnectionWorks() throws IOException {
        long seed = new SplittableRandom().nextLong();
        System.out.println("BadInputTest TCP garbage seed: " + seed + "L");
        SplittableRandom random = new SplittableRandom(seed);
        for (int round = 0; round < 20; round++) {
            byte[] garbage = new byte[random.nextInt(1, 3000)];
            random.nextBytes(garbage);
            try (Socket s = connect()) {
                s.getOutputStream().write(garbage);
                s.getOutputStream().flush();
                s.shutdownOutput();
                // Whatever comes back before the server closes must be length-prefixed DNS responses.
                byte[] back = readAll(s.getInputStream());
                DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(back));
                while (in.available() > 0) {
                    Message m = readFrame(in);
                    assertThat(m.getHeader().getFlag(Flags.QR))
                            .as("seed %sL", seed)
                            .isTrue();
                }
            }
        }
        assertNormalQueryWorks();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(dns, 5000);
        s.setSoTimeout(20_000);
        return s;
    }

    private static Message readFrame(DataInputStream in) throws IOException {
        int length = in.readUnsignedShort();
        byte[] b = new byte[length];
        in.readFully(b);
        return new Message(b);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
        } catch (SocketTimeoutException | EOFException e) {
            fail("the server neither answered nor closed the connection: " + e);
        }
        return out.toByteArray();
    }
}
