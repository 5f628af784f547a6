package dev.zonekeeper.dns.updates;

import java.io.IOException;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;

/** The answers this server makes itself to a request it does not pass on (overload, a primary that failed). */
final class Replies {
    private Replies() {}

    /**
     * An unsigned answer with {@code rcode} to {@code request}: its ID and opcode, the zone (question) section echoed
     * when the request parses, else the header alone. Unsigned: the key is the primary's or the policy's, and what
     * failed is often that very key's store.
     */
    static byte[] error(byte[] request, int rcode) {
        if (request.length < 12) {
            return null;
        }
        try {
            Message q = new Message(request);
            Message r = new Message(q.getHeader().getID());
            r.getHeader().setFlag(Flags.QR);
            r.getHeader().setOpcode(q.getHeader().getOpcode());
            r.getHeader().setRcode(rcode);
            org.xbill.DNS.Record zone = q.getQuestion();
            if (zone != null && q.getHeader().getCount(Section.QUESTION) == 1) {
                r.addRecord(zone, Section.QUESTION);
            }
            return r.toWire();
        } catch (IOException | RuntimeException e) {
            byte[] h = new byte[12];
            h[0] = request[0];
            h[1] = request[1];
            h[2] = (byte) (0x80 | (request[2] & 0x78));
            h[3] = (byte) (rcode & 0xF);
            return h;
        }
    }
}
