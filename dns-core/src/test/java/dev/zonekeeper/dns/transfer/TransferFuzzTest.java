package dev.zonekeeper.dns.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.zonekeeper.dns.query.Answer;
import dev.zonekeeper.dns.query.QueryEngine;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferException;

/**
 * Coverage-guided fuzzing of a hostile primary (issue 13): whatever a primary sends in answer to AXFR or IXFR, the
 * secondary zone code ({@link SecondaryZone} over {@link TransferClient}) must not crash or wedge. Invariants: every
 * transfer attempt ends (a transfer, "up to date", or a failure) within a bound; a failure is an
 * {@link IOException} or a {@link ZoneTransferException}, never another exception or an error; a zone that was
 * published answers queries, and after a failed IXFR the zone served before stays served.
 *
 * <p>Input: byte 0 selects the case (bit 0 set: the primary first serves a good AXFR of serial 1, and the fuzzed bytes
 * answer the IXFR that follows; clear: they answer the first AXFR); the rest is what the primary writes on the TCP
 * connection, read as 2-byte-length-prefixed frames whose first two bytes are replaced by the request's ID (so the
 * fuzzer need not guess it). The primary then closes the connection.
 */
class TransferFuzzTest {
    static final Name ORIGIN = Name.fromConstantString("example.test.");
    /** Nothing else happens on its own during one input: retries and refreshes are an hour away. */
    private static final SecondaryZone.Settings SETTINGS = new SecondaryZone.Settings(
            Duration.ofSeconds(5), Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1));
    /** Generous: an attempt takes milliseconds; this only tells a wedge from a slow machine. */
    private static final long WEDGED_SECONDS = 30;

    private static final FakePrimary PRIMARY = new FakePrimary();

    @FuzzTest(maxDuration = "10m")
    void hostilePrimary(byte[] data) throws Exception {
        boolean ixfr = data.length > 0 && (data[0] & 1) != 0;
        byte[] hostile = data.length > 0 ? java.util.Arrays.copyOfRange(data, 1, data.length) : data;
        PRIMARY.script(ixfr ? List.of(TransferSeeds.goodAxfrStream(1), hostile) : List.of(hostile));

        BlockingQueue<Object> outcomes = new LinkedBlockingQueue<>();
        TransferListener listener = new TransferListener() {
            @Override
            public void onTransfer(Name zone, Kind kind, long serial, int recordsChanged) {
                outcomes.add(kind);
            }

            @Override
            public void onFailure(Name zone, Exception cause) {
                outcomes.add(cause);
            }

            @Override
            public void onUpToDate(Name zone, long serial) {
                outcomes.add("current");
            }
        };
        try (SecondaryZone secondary =
                new SecondaryZone(ORIGIN, PRIMARY.address(), null, zone -> {}, listener, SETTINGS)) {
            Zone before = null;
            secondary.start();
            if (ixfr) {
                assertThat(outcomes.poll(WEDGED_SECONDS, TimeUnit.SECONDS))
                        .as("the good AXFR")
                        .isEqualTo(TransferListener.Kind.AXFR);
                before = secondary.zone();
                secondary.refreshSoon();
            }
            Object outcome = outcomes.poll(WEDGED_SECONDS, TimeUnit.SECONDS);
            assertThat(outcome)
                    .as("the transfer attempt ended (the secondary is not wedged)")
                    .isNotNull();
            if (outcome instanceof Exception e) {
                if (!(e instanceof IOException || e instanceof ZoneTransferException)) {
                    throw new AssertionError("a hostile primary caused " + e, e);
                }
                assertThat(secondary.zone())
                        .as("the zone served before stays served")
                        .isSameAs(before);
            }
            Zone served = secondary.zone();
            if (served != null) {
                Answer soa = QueryEngine.answer(ZoneSet.of(List.of(served)), ORIGIN, Type.SOA, DClass.IN);
                assertThat(soa).isNotNull();
                assertThat(soa.answer()).hasSize(1);
                QueryEngine.answer(
                        ZoneSet.of(List.of(served)), Name.fromConstantString("www.example.test."), Type.A, DClass.IN);
            }
        }
    }

    /** A primary on loopback that answers the requests of each connection from a script, then closes it. */
    static final class FakePrimary implements Runnable {
        private final ServerSocket server;
        private volatile List<byte[]> script = List.of();

        FakePrimary() {
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread t = new Thread(this, "fake-primary");
            t.setDaemon(true);
            t.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
        }

        /** The responses to the next requests, in order, over however many connections. */
        void script(List<byte[]> responses) {
            script = responses;
            next = 0;
        }

        private volatile int next;

        @Override
        public void run() {
            while (true) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(10_000);
                    serve(s.getInputStream(), s.getOutputStream());
                } catch (IOException e) {
                    // the client went away: next connection
                }
            }
        }

        private void serve(InputStream in, OutputStream out) throws IOException {
            DataInputStream data = new DataInputStream(in);
            while (true) {
                byte[] request = Wire.readFrame(data);
                if (request == null || request.length < 2) {
                    return;
                }
                List<byte[]> responses = script;
                int i = next++;
                if (i >= responses.size()) {
                    return;
                }
                byte[] stream = responses.get(i).clone();
                // Frames get the request's ID, so the fuzzer need not guess it.
                for (int at = 0; at + 4 <= stream.length; ) {
                    int length = ((stream[at] & 0xFF) << 8) | (stream[at + 1] & 0xFF);
                    if (length >= 2 && at + 2 + length <= stream.length) {
                        stream[at + 2] = request[0];
                        stream[at + 3] = request[1];
                    }
                    at += 2 + length;
                }
                out.write(stream);
                out.flush();
                if (i == responses.size() - 1) {
                    return; // the hostile answer is the last: close
                }
            }
        }
    }
}
