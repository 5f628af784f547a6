package dev.zonekeeper.dns.forward;

import dev.zonekeeper.dns.wire.WireBytes;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;

/**
 * A cached response in wire form, for serving a hit without parsing or encoding: the bytes after the question of the
 * response {@link CachedResponse#toMessage} gives at age 0 (records with TTL min(own TTL, entry TTL), no OPT), encoded
 * once by dnsjava when the entry is stored, with the offset of every record's TTL. Compression pointers in the tail
 * refer to the question at offset 12, whose length and label layout do not depend on letter case, so the tail is
 * valid after the client's question echoed as sent (the owner names pointing at it then take the client's case, as
 * they do when dnsjava encodes each response). Immutable, apart from a "used" hint for the cache's eviction.
 */
public final class EncodedResponse {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    final CacheKey key;
    /** The question name in lower-case wire form. */
    final byte[] name;

    final int hash;
    private final int rcode;
    private final int anCount;
    private final int nsCount;
    private final int arCount;
    private final byte[] tail;
    private final int[] ttlOffsets;
    private final long ttlSeconds;
    private final long storedAtNanos;
    /** Set by hits, cleared by the eviction sweep (second chance); a hint, so races are harmless. */
    boolean used;

    private EncodedResponse(
            CacheKey key,
            byte[] name,
            int rcode,
            int anCount,
            int nsCount,
            int arCount,
            byte[] tail,
            int[] ttlOffsets,
            long ttlSeconds,
            long storedAtNanos) {
        this.key = key;
        this.name = name;
        this.hash = WireBytes.questionHash(name, 0, name.length, (key.type() << 16) | key.dclass());
        this.rcode = rcode;
        this.anCount = anCount;
        this.nsCount = nsCount;
        this.arCount = arCount;
        this.tail = tail;
        this.ttlOffsets = ttlOffsets;
        this.ttlSeconds = ttlSeconds;
        this.storedAtNanos = storedAtNanos;
    }

    /** The wire form of {@code entry}, or null when it has none (a name dnsjava cannot read back). */
    static EncodedResponse of(CacheKey key, ResponseCache.Entry entry) {
        Name qname;
        try {
            qname = Name.fromString(key.name());
        } catch (TextParseException e) {
            return null;
        }
        Message m = new Message(0);
        CachedResponse r = entry.response();
        m.getHeader().setRcode(r.rcode());
        m.addRecord(org.xbill.DNS.Record.newRecord(qname, key.type(), key.dclass()), Section.QUESTION);
        addAll(m, r.answer(), Section.ANSWER);
        addAll(m, r.authority(), Section.AUTHORITY);
        addAll(m, r.additional(), Section.ADDITIONAL);
        byte[] wire = m.toWire();
        byte[] name = qname.toWireCanonical();
        int tailStart = 12 + name.length + 4;
        int records = WireBytes.u16(wire, 6) + WireBytes.u16(wire, 8) + WireBytes.u16(wire, 10);
        List<Integer> offsets = new ArrayList<>(records);
        int p = tailStart;
        for (int i = 0; i < records; i++) {
            p = WireBytes.skipName(wire, p);
            int ttlAt = p + 4; // type, class
            long ttl = Math.min(u32(wire, ttlAt), entry.ttlSeconds());
            putInt(wire, ttlAt, ttl);
            offsets.add(ttlAt - tailStart);
            p = ttlAt + 4 + 2 + WireBytes.u16(wire, ttlAt + 4);
        }
        if (p != wire.length) {
            throw new IllegalStateException("dnsjava wrote " + wire.length + " bytes, read " + p + " for " + key);
        }
        int[] ttlOffsets = offsets.stream().mapToInt(Integer::intValue).toArray();
        byte[] tail = java.util.Arrays.copyOfRange(wire, tailStart, wire.length);
        return new EncodedResponse(
                key,
                name,
                r.rcode(),
                WireBytes.u16(wire, 6),
                WireBytes.u16(wire, 8),
                WireBytes.u16(wire, 10),
                tail,
                ttlOffsets,
                entry.ttlSeconds(),
                entry.storedAtNanos());
    }

    private static void addAll(Message m, List<org.xbill.DNS.Record> records, int section) {
        for (org.xbill.DNS.Record rec : records) {
            m.addRecord(rec, section);
        }
    }

    /**
     * Whether this is the response to the question whose name is {@code b[offset, offset + length)} (any case) and
     * whose {@link WireBytes#questionHash} is {@code hash}.
     */
    boolean matches(
            byte[] b,
            int offset,
            int length,
            int hash,
            int type,
            int dclass,
            boolean dnssecOk,
            boolean checkingDisabled) {
        return this.hash == hash
                && name.length == length
                && key.type() == type
                && key.dclass() == dclass
                && key.dnssecOk() == dnssecOk
                && key.checkingDisabled() == checkingDisabled
                && WireBytes.equalsLowerCase(b, offset, name);
    }

    /** Whether the entry is still fresh (as {@link ResponseCache.Entry#isFresh}). */
    public boolean isFresh(long nowNanos) {
        return nowNanos - storedAtNanos < ttlSeconds * NANOS_PER_SECOND;
    }

    public int rcode() {
        return rcode;
    }

    public int answerCount() {
        return anCount;
    }

    public int authorityCount() {
        return nsCount;
    }

    public int additionalCount() {
        return arCount;
    }

    /** The length of the records after the question. */
    public int tailLength() {
        return tail.length;
    }

    /**
     * Writes the records after the question with every TTL max(0, TTL - age), age in whole seconds since the entry
     * was stored: the TTLs {@link ResponseCache.Entry#freshAnswer} gives.
     */
    public void writeTail(ByteBuf out, long nowNanos) {
        int base = out.writerIndex();
        out.writeBytes(tail);
        long age = Math.max(0, (nowNanos - storedAtNanos) / NANOS_PER_SECOND);
        if (age > 0) {
            for (int at : ttlOffsets) {
                out.setInt(base + at, (int) Math.max(0, u32(tail, at) - age));
            }
        }
    }

    private static long u32(byte[] b, int i) {
        return ((long) WireBytes.u16(b, i) << 16) | WireBytes.u16(b, i + 2);
    }

    private static void putInt(byte[] b, int i, long v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }
}
