package dev.zonekeeper.dns.transfer;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;

/** Small wire helpers shared by the transfer classes: TCP framing, reply skeletons and TSIG error replies. */
final class Wire {
    private Wire() {}

    /** The next length-prefixed message (RFC 1035 section 4.2.2), or null at a clean end of stream. */
    static byte[] readFrame(DataInputStream in) throws IOException {
        int hi = in.read();
        if (hi < 0) {
            return null;
        }
        int lo = in.read();
        if (lo < 0) {
            throw new EOFException("connection closed inside a length prefix");
        }
        byte[] b = new byte[(hi << 8) | lo];
        in.readFully(b);
        return b;
    }

    static void writeFrame(DataOutputStream out, byte[] b) throws IOException {
        if (b.length > 0xFFFF) {
            throw new IOException("DNS message of " + b.length + " bytes does not fit a TCP frame");
        }
        out.writeShort(b.length);
        out.write(b);
    }

    /** A reply to {@code query}: same id and opcode, QR set, RD copied, the question echoed. */
    static Message reply(Message query, int rcode) {
        Message r = new Message(query.getHeader().getID());
        Header h = r.getHeader();
        h.setFlag(Flags.QR);
        h.setOpcode(query.getHeader().getOpcode());
        if (query.getHeader().getFlag(Flags.RD)) {
            h.setFlag(Flags.RD);
        }
        h.setRcode(rcode);
        if (query.getQuestion() != null) {
            r.addRecord(query.getQuestion(), Section.QUESTION);
        }
        return r;
    }

    /** A FORMERR reply built from the raw header of an unparsable message, or null when there is no header. */
    static byte[] formErr(byte[] wire) {
        return dev.zonekeeper.dns.wire.WireBytes.formErrFromHeader(wire);
    }

    /**
     * Verifies the TSIG of {@code query} (its wire form {@code wire}) against {@code key}: NOERROR when it is
     * signed with it, -1 when it is not signed at all, else the TSIG error (BADKEY, BADSIG, BADTIME, or FORMERR).
     */
    static int verify(TSIG key, Message query, byte[] wire) {
        if (query.getTSIG() == null) {
            return -1;
        }
        return key.verify(query, wire, null);
    }

    /**
     * The reply to a request whose TSIG failed with {@code error} (RFC 8945 section 5.3.2): rcode NOTAUTH and a TSIG
     * RR carrying the error; unsigned (empty MAC) for BADKEY and BADSIG, signed for BADTIME.
     */
    static Message tsigError(Message query, int error, TSIG key, Clock clock) {
        TSIGRecord qt = query.getTSIG();
        Message r = reply(query, error == Rcode.FORMERR ? Rcode.FORMERR : Rcode.NOTAUTH);
        if (qt == null || error == Rcode.FORMERR) {
            return r;
        }
        if (error == Rcode.BADTIME) {
            key.apply(r, Rcode.BADTIME, qt);
            return r;
        }
        r.addRecord(
                new TSIGRecord(
                        qt.getName(),
                        DClass.ANY,
                        0,
                        qt.getAlgorithm(),
                        clock.instant(),
                        Duration.ofSeconds(300),
                        new byte[0],
                        query.getHeader().getID(),
                        error,
                        null),
                Section.ADDITIONAL);
        return r;
    }
}
