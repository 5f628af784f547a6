package dev.zonekeeper.dns.forward;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class ResponseCacheTest {
    static final long SECOND = 1_000_000_000L;
    static final Duration MIN = Duration.ZERO;
    static final Duration MAX = Duration.ofHours(1);

    @Test
    void holdsAtMostMaxEntriesEvictingTheLeastRecentlyUsed() throws Exception {
        ResponseCache cache = new ResponseCache(3);
        CacheKey a = key("a.test."), b = key("b.test."), c = key("c.test."), d = key("d.test.");
        cache.put(a, entry(60, 0));
        cache.put(b, entry(60, 0));
        cache.put(c, entry(60, 0));
        assertThat(cache.get(a, 1)).isNotNull(); // a is now the most recently used

        cache.put(d, entry(60, 0));

        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.evictions()).isEqualTo(1);
        assertThat(cache.get(b, 1)).as("least recently used").isNull();
        assertThat(cache.get(a, 1)).isNotNull();
        assertThat(cache.get(c, 1)).isNotNull();
        assertThat(cache.get(d, 1)).isNotNull();
    }

    @Test
    void zeroEntriesCachesNothing() throws Exception {
        ResponseCache cache = new ResponseCache(0);
        cache.put(key("a.test."), entry(60, 0));
        assertThat(cache.size()).isZero();
        assertThat(cache.get(key("a.test."), 0)).isNull();
    }

    @Test
    void entryIsFreshForItsTtlThenStaleUntilItsDeadlineThenGone() throws Exception {
        ResponseCache cache = new ResponseCache(10);
        CacheKey k = key("a.test.");
        cache.put(k, new ResponseCache.Entry(positive(300).response(), 60, 0, 100 * SECOND));

        assertThat(cache.get(k, 59 * SECOND).isFresh(59 * SECOND)).isTrue();
        assertThat(cache.get(k, 60 * SECOND).isFresh(60 * SECOND)).isFalse();
        assertThat(cache.get(k, 99 * SECOND)).isNotNull();
        assertThat(cache.get(k, 100 * SECOND)).isNull();
        assertThat(cache.size()).isZero();
    }

    @Test
    void servedTtlsAreCappedByTheEntryTtlAndDecrementedByTheAge() throws Exception {
        ResponseCache.Entry e = new ResponseCache.Entry(positive(300).response(), 60, 0, 60 * SECOND);
        Message query =
                Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString("www.test."), Type.A, DClass.IN));

        assertThat(e.freshAnswer(query, 0).getSection(Section.ANSWER).get(0).getTTL())
                .isEqualTo(60);
        assertThat(e.freshAnswer(query, 25 * SECOND + 1)
                        .getSection(Section.ANSWER)
                        .get(0)
                        .getTTL())
                .isEqualTo(35);
        assertThat(e.staleAnswer(query, 30).getSection(Section.ANSWER).get(0).getTTL())
                .isEqualTo(30);
        ARecord served = (ARecord)
                e.freshAnswer(query, 25 * SECOND).getSection(Section.ANSWER).get(0);
        assertThat(served.getAddress().getHostAddress()).isEqualTo("192.0.2.1");
        assertThat(served.getName()).isEqualTo(Name.fromString("www.test."));
    }

    @Test
    void positiveTtlIsTheSmallestAnswerRrsetTtlWithinTheCaps() throws Exception {
        Message m = response(Rcode.NOERROR, Type.A);
        m.addRecord(new CNAMERecord(name("www.test."), DClass.IN, 500, name("web.test.")), Section.ANSWER);
        m.addRecord(a("web.test.", 90, "192.0.2.1"), Section.ANSWER);
        m.addRecord(a("web.test.", 90, "192.0.2.2"), Section.ANSWER);

        assertThat(ResponseCache.cacheTtl(m, MIN, MAX)).isEqualTo(90);
        assertThat(ResponseCache.cacheTtl(m, MIN, Duration.ofSeconds(30))).isEqualTo(30);
        assertThat(ResponseCache.cacheTtl(m, Duration.ofSeconds(120), MAX)).isEqualTo(120);
    }

    @Test
    void negativeTtlIsTheSmallerOfSoaTtlAndSoaMinimum() throws Exception {
        Message nx = response(Rcode.NXDOMAIN, Type.A);
        nx.addRecord(soa(3600, 120), Section.AUTHORITY);
        Message nodata = response(Rcode.NOERROR, Type.AAAA);
        nodata.addRecord(soa(60, 120), Section.AUTHORITY);

        assertThat(ResponseCache.cacheTtl(nx, MIN, MAX)).isEqualTo(120);
        assertThat(ResponseCache.cacheTtl(nodata, MIN, MAX)).isEqualTo(60);
        assertThat(ResponseCache.cacheTtl(nx, MIN, Duration.ofSeconds(10))).isEqualTo(10);
    }

    @Test
    void cnameToANegativeAnswerUsesBothTtls() throws Exception {
        Message m = response(Rcode.NXDOMAIN, Type.A);
        m.addRecord(new CNAMERecord(name("www.test."), DClass.IN, 30, name("gone.test.")), Section.ANSWER);
        m.addRecord(soa(3600, 120), Section.AUTHORITY);

        assertThat(ResponseCache.cacheTtl(m, MIN, MAX)).isEqualTo(30);
    }

    @Test
    void notCachedNegativeWithoutSoaTruncatedServfailOrZeroTtl() throws Exception {
        Message noSoa = response(Rcode.NXDOMAIN, Type.A);
        Message truncated = positive(300).message();
        truncated.getHeader().setFlag(Flags.TC);
        Message servfail = response(Rcode.SERVFAIL, Type.A);
        Message refused = response(Rcode.REFUSED, Type.A);
        Message zero = response(Rcode.NOERROR, Type.A);
        zero.addRecord(a("www.test.", 0, "192.0.2.1"), Section.ANSWER);

        assertThat(ResponseCache.cacheTtl(noSoa, MIN, MAX)).isEqualTo(-1);
        assertThat(ResponseCache.cacheTtl(truncated, MIN, MAX)).isEqualTo(-1);
        assertThat(ResponseCache.cacheTtl(servfail, MIN, MAX)).isEqualTo(-1);
        assertThat(ResponseCache.cacheTtl(refused, MIN, MAX)).isEqualTo(-1);
        assertThat(ResponseCache.cacheTtl(zero, MIN, MAX)).isEqualTo(-1);
    }

    @Test
    void keyIgnoresNameCaseButNotTypeOrDnssecOk() throws Exception {
        Message lower = query("www.test.", Type.A);
        Message upper = query("WWW.Test.", Type.A);
        Message aaaa = query("www.test.", Type.AAAA);
        Message withDo = query("www.test.", Type.A);
        withDo.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 0, org.xbill.DNS.ExtendedFlags.DO), Section.ADDITIONAL);

        assertThat(CacheKey.of(upper)).isEqualTo(CacheKey.of(lower));
        assertThat(CacheKey.of(aaaa)).isNotEqualTo(CacheKey.of(lower));
        assertThat(CacheKey.of(withDo)).isNotEqualTo(CacheKey.of(lower));
    }

    @Test
    void theWireFormOfAnEntryIsWhatFreshAnswerEncodesAtEveryAge() throws Exception {
        // CNAME 500 and A 90 in a 60 s entry, NXDOMAIN's SOA: TTLs capped by the entry TTL, then aged, never below 0
        Message m = response(Rcode.NOERROR, Type.A);
        m.addRecord(new CNAMERecord(name("www.test."), DClass.IN, 500, name("web.test.")), Section.ANSWER);
        m.addRecord(a("web.test.", 90, "192.0.2.1"), Section.ANSWER);
        m.addRecord(soa(3600, 120), Section.AUTHORITY);
        ResponseCache cache = new ResponseCache(10);
        CacheKey k = key("www.test.");
        ResponseCache.Entry e = new ResponseCache.Entry(CachedResponse.of(m), 60, 5 * SECOND, 65 * SECOND);
        cache.put(k, e);
        Message query = query("WwW.TEST.", Type.A);
        query.getHeader().setID(0x4242);
        byte[] q = query.toWire();
        int nameLength = name("www.test.").length();

        EncodedResponse wire = cache.encoded(q, 12, nameLength, Type.A, DClass.IN, false, false);

        assertThat(wire).as("found by the query's bytes, any case").isNotNull();
        for (long now : new long[] {5 * SECOND, 6 * SECOND - 1, 30 * SECOND + 7, 64 * SECOND, 70 * SECOND}) {
            byte[] expected = e.freshAnswer(query, now).toWire();
            io.netty.buffer.ByteBuf out = io.netty.buffer.Unpooled.buffer();
            out.writeBytes(expected, 0, 12 + nameLength + 4); // header and question as the fresh answer has them
            wire.writeTail(out, now);
            byte[] actual = new byte[out.readableBytes()];
            out.readBytes(actual);
            assertThat(actual).as("at " + now).isEqualTo(expected);
        }
        assertThat(wire.isFresh(65 * SECOND - 1)).isTrue();
        assertThat(wire.isFresh(65 * SECOND)).isFalse();
        assertThat(wire.answerCount()).isEqualTo(2);
        assertThat(wire.authorityCount()).isEqualTo(1);
    }

    @Test
    void theWireIndexHoldsExactlyTheMapsEntriesKeyedByDnssecOkAndCheckingDisabled() throws Exception {
        ResponseCache cache = new ResponseCache(2);
        byte[] q = query("a.test.", Type.A).toWire();
        int len = name("a.test.").length();
        cache.put(key("a.test."), entry(60, 0));

        assertThat(cache.encoded(q, 12, len, Type.A, DClass.IN, false, false)).isNotNull();
        assertThat(cache.encoded(q, 12, len, Type.A, DClass.IN, true, false))
                .as("DO is another key")
                .isNull();
        assertThat(cache.encoded(q, 12, len, Type.A, DClass.IN, false, true))
                .as("CD is another key")
                .isNull();
        assertThat(cache.encoded(q, 12, len, Type.AAAA, DClass.IN, false, false))
                .isNull();

        assertThat(cache.get(key("a.test."), 60 * SECOND))
                .as("past its stale deadline: dropped")
                .isNull();
        assertThat(cache.encoded(q, 12, len, Type.A, DClass.IN, false, false))
                .as("from the index too")
                .isNull();

        cache.put(key("a.test."), entry(60, 0));
        cache.clear();
        assertThat(cache.encoded(q, 12, len, Type.A, DClass.IN, false, false)).isNull();
    }

    @Test
    void anEntryHitThroughTheWireIndexGetsASecondChanceAtEviction() throws Exception {
        ResponseCache cache = new ResponseCache(2);
        byte[] qa = query("a.test.", Type.A).toWire();
        int len = name("a.test.").length();
        cache.put(key("a.test."), entry(60, 0));
        cache.put(key("b.test."), entry(60, 0));
        assertThat(cache.encoded(qa, 12, len, Type.A, DClass.IN, false, false)).isNotNull(); // a is used

        cache.put(key("c.test."), entry(60, 0));

        assertThat(cache.evictions()).isEqualTo(1);
        assertThat(cache.get(key("b.test."), 1))
                .as("not used since stored: evicted")
                .isNull();
        assertThat(cache.encoded(qa, 12, len, Type.A, DClass.IN, false, false)).isNotNull();
        byte[] qb = query("b.test.", Type.A).toWire();
        assertThat(cache.encoded(qb, 12, len, Type.A, DClass.IN, false, false))
                .as("gone from the index")
                .isNull();
    }

    @Test
    void staysWithinItsByteBudgetEvictingTheLeastRecentlyUsed() throws Exception {
        long budget = 256 * 1024;
        ResponseCache cache = new ResponseCache(100_000, budget);
        int stored = 300;
        for (int i = 0; i < stored; i++) {
            CacheKey k = key("n" + i + ".test.");
            Message m = response(Rcode.NOERROR, Type.TXT);
            m.addRecord(
                    new org.xbill.DNS.TXTRecord(
                            name("www.test."),
                            DClass.IN,
                            300,
                            List.of(("big" + i).repeat(40), "x".repeat(250), "y".repeat(250))),
                    Section.ANSWER);
            assertThat(cache.put(k, new ResponseCache.Entry(CachedResponse.of(m), 300, 0, 300 * SECOND)))
                    .isTrue();
            assertThat(cache.bytes())
                    .as("accounted bytes after %d answers", i + 1)
                    .isLessThanOrEqualTo(budget);
        }
        assertThat(cache.size())
                .as("the byte budget, not the entry bound, limits")
                .isLessThan(stored);
        assertThat(cache.evictions()).isEqualTo(stored - cache.size());
        assertThat(cache.bytes()).as("the bytes of about a 1 KB answer each").isGreaterThan(cache.size() * 1000L);
        for (int i = stored - cache.size(); i < stored; i++) {
            ResponseCache.Entry e = cache.get(key("n" + i + ".test."), 1);
            assertThat(e).as("n%d, among the most recent", i).isNotNull();
            assertThat(((org.xbill.DNS.TXTRecord) e.response().answer().get(0))
                            .getStrings()
                            .get(0))
                    .isEqualTo(("big" + i).repeat(40));
            byte[] q = query("n" + i + ".test.", Type.A).toWire();
            assertThat(cache.encoded(q, 12, name("n" + i + ".test.").length(), Type.A, DClass.IN, false, false))
                    .isNotNull();
        }
        assertThat(cache.get(key("n0.test."), 1)).as("the oldest went first").isNull();

        cache.clear();
        assertThat(cache.bytes()).isZero();
    }

    @Test
    void anEntryBiggerThanTheWholeBudgetIsNotStored() throws Exception {
        ResponseCache cache = new ResponseCache(100, 1000);
        cache.put(key("small.test."), entry(60, 0));
        Message m = response(Rcode.NOERROR, Type.TXT);
        m.addRecord(
                new org.xbill.DNS.TXTRecord(name("www.test."), DClass.IN, 300, List.of("x".repeat(250))),
                Section.ANSWER);

        assertThat(cache.put(key("big.test."), new ResponseCache.Entry(CachedResponse.of(m), 60, 0, 60 * SECOND)))
                .isFalse();
        assertThat(cache.get(key("big.test."), 1)).isNull();
        assertThat(cache.get(key("small.test."), 1))
                .as("nothing evicted for it")
                .isNotNull();
    }

    // ---- helpers

    private record Positive(Message message, CachedResponse response) {}

    private static Positive positive(long ttl) throws Exception {
        Message m = response(Rcode.NOERROR, Type.A);
        m.addRecord(a("www.test.", ttl, "192.0.2.1"), Section.ANSWER);
        return new Positive(m, CachedResponse.of(m));
    }

    private static ResponseCache.Entry entry(long ttl, long storedAt) throws Exception {
        return new ResponseCache.Entry(positive(ttl).response(), ttl, storedAt, storedAt + ttl * SECOND);
    }

    private static CacheKey key(String name) throws Exception {
        return CacheKey.of(query(name, Type.A));
    }

    private static Message query(String name, int type) throws Exception {
        return Message.newQuery(org.xbill.DNS.Record.newRecord(name(name), type, DClass.IN));
    }

    private static Message response(int rcode, int type) throws Exception {
        Message m = new Message(1);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setRcode(rcode);
        m.addRecord(org.xbill.DNS.Record.newRecord(name("www.test."), type, DClass.IN), Section.QUESTION);
        return m;
    }

    private static ARecord a(String owner, long ttl, String address) throws Exception {
        return new ARecord(name(owner), DClass.IN, ttl, InetAddress.getByName(address));
    }

    private static SOARecord soa(long ttl, long minimum) throws Exception {
        return new SOARecord(
                name("test."), DClass.IN, ttl, name("ns.test."), name("host.test."), 1, 3600, 600, 86400, minimum);
    }

    private static Name name(String s) throws Exception {
        return Name.fromString(s);
    }

    @SuppressWarnings("unused")
    private static List<org.xbill.DNS.Record> answers(Message m) {
        return m.getSection(Section.ANSWER);
    }
}
