package dev.zonekeeper.dns.bench;

import dev.zonekeeper.dns.transfer.*;
import dev.zonekeeper.dns.zone.*;
import dev.zonekeeper.dns.zone.Zone;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.*;
import java.util.concurrent.*;
import org.xbill.DNS.*;

/**
 * The transfer leg alone, in one JVM: PrimaryZones.change of cluster.local. and in-addr.arpa. -> NOTIFY -> IXFR (TSIG)
 * -> the secondary's ZoneStore holding the new serial of cluster.local., COUNT changes 5 ms apart after 200 uncounted.
 *
 *   e2e/bench/probe.sh transfer-leg [COUNT]
 */
public class TransferLeg {
    public static void main(String[] a) throws Exception {
        int n = a.length > 0 ? Integer.parseInt(a[0]) : 1000;
        TSIG key = new TSIG(TSIG.HMAC_SHA256, "k.", Base64.getEncoder().encodeToString(new byte[32]));
        PrimaryZones zones = new PrimaryZones();
        Name cl = Name.fromString("cluster.local."), ia = Name.fromString("in-addr.arpa.");
        SOARecord soa = new SOARecord(
                cl,
                DClass.IN,
                5,
                Name.fromString("ns.dns.cluster.local."),
                Name.fromString("h.cluster.local."),
                1,
                7200,
                1800,
                86400,
                5);
        SOARecord soa2 = new SOARecord(
                ia,
                DClass.IN,
                5,
                Name.fromString("ns.dns.cluster.local."),
                Name.fromString("h.cluster.local."),
                1,
                7200,
                1800,
                86400,
                5);
        List<org.xbill.DNS.Record> base = new ArrayList<>();
        base.add(soa);
        for (int i = 0; i < 2000; i++)
            base.add(new ARecord(
                    Name.fromString("b" + i + ".default.svc.cluster.local."),
                    DClass.IN,
                    5,
                    InetAddress.getByName("10.1." + (i / 250) + "." + (i % 250))));
        zones.put(Zone.of(cl, base));
        zones.put(Zone.of(ia, List.of(soa2)));
        TransferServer server = TransferServer.start(new InetSocketAddress("127.0.0.1", 0), zones, key);
        ZoneStore store = new ZoneStore();
        ConcurrentHashMap<Long, Long> seen = new ConcurrentHashMap<>();
        store.addListener(set -> {
            Zone z = set.get(cl);
            if (z != null) seen.put(z.serial(), System.nanoTime());
        });
        SecondaryZones sec = new SecondaryZones(
                server.address(),
                key,
                List.of(cl, ia),
                store,
                new TransferListener() {
                    public void onTransfer(Name z, Kind k, long s, int c) {}

                    public void onUpToDate(Name z, long s) {}

                    public void onFailure(Name z, Exception e) {}
                },
                SecondaryZone.Settings.DEFAULT);
        NotifyListener nl = NotifyListener.start(new InetSocketAddress("127.0.0.1", 0), key, sec);
        NotifySender ns = new NotifySender(List.of(nl.address()), key, NotifySender.Options.DEFAULT);
        zones.addListener(ns);
        sec.start();
        while (!sec.allLoaded()) Thread.sleep(10);
        long[] lat = new long[n];
        for (int i = 0; i < n + 200; i++) {
            ARecord r = new ARecord(
                    Name.fromString("s" + i + ".default.svc.cluster.local."),
                    DClass.IN,
                    5,
                    InetAddress.getByName("10.0." + (i / 250 % 250) + "." + (i % 250)));
            PTRRecord p = new PTRRecord(ReverseMap.fromAddress(r.getAddress()), DClass.IN, 5, r.getName());
            long t0 = System.nanoTime();
            long serial = zones.change(cl, List.of(), List.of(r));
            zones.change(ia, List.of(), List.of(p));
            Long t1;
            while ((t1 = seen.get(serial)) == null) Thread.onSpinWait();
            if (i >= 200) lat[i - 200] = t1 - t0;
            Thread.sleep(5);
        }
        Arrays.sort(lat);
        System.out.printf(
                "n=%d p50=%.3f ms p90=%.3f p99=%.3f max=%.3f%n",
                n, lat[n / 2] / 1e6, lat[n * 9 / 10] / 1e6, lat[n * 99 / 100] / 1e6, lat[n - 1] / 1e6);
        System.exit(0);
    }
}
