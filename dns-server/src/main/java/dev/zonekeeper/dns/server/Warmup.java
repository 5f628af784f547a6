package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Runs the query path on a throwaway zone before the server reports ready, so the JIT has compiled it before the
 * first client arrives. It touches neither the served zones, their answer cache, nor the served metrics.
 */
public final class Warmup {
    private Warmup() {}

    /**
     * Passes of the warm-up before the server reports ready: system property {@code zonekeeper.warmup.rounds},
     * default 20 (about 40,000 queries on the throwaway zone and up to 100,000 on the sample; 0 turns it off).
     */
    public static int rounds() {
        try {
            return Math.max(0, Integer.parseInt(System.getProperty("zonekeeper.warmup.rounds", "20")));
        } catch (NumberFormatException e) {
            return 20;
        }
    }

    /** Warms the query path on a throwaway zone only (see {@link #run(int, ZoneSet)}). */
    public static void run(int rounds) {
        run(rounds, null);
    }

    /**
     * Sends queries of each kind (hit, miss, NXDOMAIN, NODATA, SRV, with and without EDNS) through a private UDP
     * transport and processor on a loopback port: first on a throwaway zone, then on a sample of the served zones'
     * own names (at most {@link #SAMPLE} owners, each asked for its type, A, AAAA and a missing child), so the JIT
     * compiles the shapes of the real answers. Only the real transport is used, never an in-process loop: the
     * compiled code then sees the buffer and allocator types of production, and is not thrown away (deoptimized)
     * when the first client arrives. The served answer cache and metrics are not touched.
     *
     * @param rounds passes over the queries (each pass starts with an empty answer cache, so misses are warmed too)
     */
    public static void run(int rounds, ZoneSet served) {
        if (rounds <= 0) {
            return;
        }
        Name origin = Name.fromConstantString("warmup.invalid.");
        StringBuilder zone = new StringBuilder("$ORIGIN warmup.invalid.\n$TTL 5\n"
                + "@ IN SOA ns.dns hostmaster 1 7200 1800 86400 5\n@ IN NS ns.dns\nns.dns IN A 10.0.0.53\n");
        int names = 512;
        for (int i = 0; i < names; i++) {
            zone.append("svc")
                    .append(i)
                    .append(".ns.svc IN A 10.1.")
                    .append(i / 256)
                    .append('.')
                    .append(i % 256)
                    .append('\n');
            zone.append("_http._tcp.svc")
                    .append(i)
                    .append(".ns.svc IN SRV 0 100 80 svc")
                    .append(i)
                    .append(".ns.svc\n");
        }
        ZoneSet zones = ZoneSet.of(List.of(Zone.parse(origin, zone.toString())));
        List<byte[]> queries = new ArrayList<>();
        for (int i = 0; i < names; i++) {
            queries.add(query("svc" + i + ".ns.svc.warmup.invalid.", Type.A, i % 2 == 0));
            queries.add(query("svc" + i + ".ns.svc.warmup.invalid.", Type.AAAA, false));
            queries.add(query("svc" + i + ".ns.svc.ns.svc.warmup.invalid.", Type.A, i % 3 == 0));
            queries.add(query("_http._tcp.svc" + i + ".ns.svc.warmup.invalid.", Type.SRV, true));
        }
        throughSocket(new QueryProcessor(zones, new DnsMetrics(), null), queries, queries.size() * rounds);
        if (served != null) {
            List<byte[]> sample = sample(served);
            if (!sample.isEmpty()) {
                throughSocket(
                        new QueryProcessor(served, new DnsMetrics(), null),
                        sample,
                        Math.min(100_000, sample.size() * rounds));
            }
        }
    }

    /**
     * The same queries through a private UDP transport on a loopback ephemeral port, so the transport's read and write path
     * is compiled too. Best effort: a failure here only means a colder start.
     */
    private static void throughSocket(QueryProcessor p, List<byte[]> queries, int count) {
        DnsTransport t = null;
        try (java.nio.channels.DatagramChannel client = java.nio.channels.DatagramChannel.open()) {
            t = new DnsTransport(
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0),
                    1,
                    p,
                    new DnsMetrics(),
                    1);
            client.connect(t.address());
            client.configureBlocking(true);
            client.socket().setSoTimeout(200);
            byte[] reply = new byte[4096];
            java.net.DatagramPacket packet = new java.net.DatagramPacket(reply, reply.length);
            int sent = 0;
            while (sent < count) {
                int batch = Math.min(32, count - sent);
                for (int i = 0; i < batch; i++) {
                    client.write(java.nio.ByteBuffer.wrap(queries.get((sent + i) % queries.size())));
                }
                for (int i = 0; i < batch; i++) {
                    if (!receive(client, packet)) {
                        break;
                    }
                }
                sent += batch;
                if (sent % queries.size() < batch) {
                    p.zonesChanged(p.zones()); // a new pass: misses again
                }
            }
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(Warmup.class).debug("transport warm-up skipped: {}", e.toString());
        } finally {
            if (t != null) {
                t.close();
            }
        }
    }

    private static boolean receive(java.nio.channels.DatagramChannel client, java.net.DatagramPacket packet) {
        try {
            packet.setLength(packet.getData().length);
            client.socket().receive(packet);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static final int SAMPLE = 2000;

    private static List<byte[]> sample(ZoneSet served) {
        List<byte[]> out = new ArrayList<>();
        java.util.Set<Name> owners = new java.util.LinkedHashSet<>();
        for (Zone z : served.zones()) {
            int step = Math.max(1, z.recordCount() / SAMPLE);
            int i = 0;
            for (org.xbill.DNS.Record r : z.records()) {
                if (i++ % step == 0 && owners.size() < SAMPLE) {
                    if (owners.add(r.getName())) {
                        out.add(query(r.getName(), r.getType(), out.size() % 2 == 0));
                        out.add(query(r.getName(), Type.A, false));
                        out.add(query(r.getName(), Type.AAAA, true));
                        try {
                            out.add(query(
                                    Name.concatenate(Name.fromConstantString("zk-warmup"), r.getName()),
                                    Type.A,
                                    false));
                        } catch (org.xbill.DNS.NameTooLongException e) {
                            // a name at the length limit has no child to ask for
                        }
                    }
                }
            }
        }
        return out;
    }

    private static byte[] query(Name name, int type, boolean edns) {
        Message m = Message.newQuery(org.xbill.DNS.Record.newRecord(name, type, 1));
        m.getHeader().setFlag(Flags.RD);
        if (edns) {
            m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        }
        return m.toWire();
    }

    private static byte[] query(String name, int type, boolean edns) {
        return query(Name.fromConstantString(name), type, edns);
    }
}
