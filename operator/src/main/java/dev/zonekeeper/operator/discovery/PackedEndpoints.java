package dev.zonekeeper.operator.discovery;

import dev.zonekeeper.operator.discovery.EndpointSliceInfo.EndpointInfo;
import java.io.ByteArrayOutputStream;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The endpoints of one EndpointSlice kept as one byte array (and the hostnames, when any endpoint has one), read back
 * as {@link EndpointInfo}s made on demand. Every slice of a cluster is held by the operator, though only the slices of
 * headless Services give records: one object per endpoint (an {@link EndpointInfo} and its address array, about 50
 * bytes) made 150,000 endpoints cost 7.5 MB; packed, a slice of 15 endpoints costs about 130 bytes. Immutable.
 *
 * <p>Each endpoint is its conditions byte, the length of its packed addresses (two bytes, big-endian) and those
 * addresses ({@link PackedAddresses}' form).
 */
final class PackedEndpoints extends AbstractList<EndpointInfo> {

    private final byte[] data;
    /** The hostnames in endpoint order, or {@code null} when every hostname is {@code ""}. */
    private final String[] hostnames;

    private final int size;

    private PackedEndpoints(byte[] data, String[] hostnames, int size) {
        this.data = data;
        this.hostnames = hostnames;
        this.size = size;
    }

    /** The packed form of {@code endpoints} (an empty list when there are none). */
    static List<EndpointInfo> of(List<EndpointInfo> endpoints) {
        if (endpoints instanceof PackedEndpoints) {
            return endpoints;
        }
        if (endpoints.isEmpty()) {
            return List.of();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(endpoints.size() * 8);
        String[] hostnames = new String[endpoints.size()];
        boolean anyHostname = false;
        int i = 0;
        for (EndpointInfo e : endpoints) {
            byte[] addresses = e.packedAddresses();
            out.write(e.packedConditions());
            out.write(addresses.length >>> 8);
            out.write(addresses.length);
            out.write(addresses, 0, addresses.length);
            hostnames[i++] = e.hostname();
            anyHostname |= !e.hostname().isEmpty();
        }
        return new PackedEndpoints(out.toByteArray(), anyHostname ? hostnames : null, endpoints.size());
    }

    @Override
    public EndpointInfo get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(index);
        }
        int at = 0;
        for (int i = 0; i < index; i++) {
            at += 3 + length(at);
        }
        return read(index, at);
    }

    @Override
    public Iterator<EndpointInfo> iterator() {
        return new Iterator<>() {
            private int next;
            private int at;

            @Override
            public boolean hasNext() {
                return next < size;
            }

            @Override
            public EndpointInfo next() {
                if (next >= size) {
                    throw new NoSuchElementException();
                }
                EndpointInfo e = read(next++, at);
                at += 3 + length(at);
                return e;
            }
        };
    }

    private int length(int at) {
        return (data[at + 1] & 0xff) << 8 | data[at + 2] & 0xff;
    }

    private EndpointInfo read(int index, int at) {
        byte[] addresses = Arrays.copyOfRange(data, at + 3, at + 3 + length(at));
        return new EndpointInfo(
                addresses.length == 0 ? PackedAddresses.NONE : addresses,
                data[at],
                hostnames == null ? "" : hostnames[index]);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean equals(Object o) {
        if (o instanceof PackedEndpoints p) {
            return size == p.size && Arrays.equals(data, p.data) && Arrays.equals(hostnames, p.hostnames);
        }
        return super.equals(o);
    }

    @Override
    public int hashCode() {
        return super.hashCode(); // List's contract; equal packed forms have equal elements
    }
}
