package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics.BadInput;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Which queries are refused before any zone or the forwarder sees them, and with which rcode: the one list that the
 * full path checks in order ({@link #header}, {@link #edns}, {@link #question}) and that the fast path consults to
 * leave every such query, and the meta-types, to the full path ({@link #fastPathQuestion}). A rule changed here
 * changes both paths alike.
 */
final class QueryRules {
    private QueryRules() {}

    /** Other opcodes are not implemented (NOTIMP); a query has exactly one question (else FORMERR). */
    static BadInput header(int opcode, int questions) {
        if (opcode != Opcode.QUERY) {
            return BadInput.OPCODE;
        }
        return questions != 1 ? BadInput.QDCOUNT : null;
    }

    /**
     * At most one OPT record, owned by the root (RFC 6891 6.1.1), else FORMERR; EDNS version 0 only, else BADVERS.
     * {@code version} is ignored without an OPT ({@code opts} 0).
     */
    static BadInput edns(int opts, boolean atRoot, int version) {
        if (opts > 1 || (opts == 1 && !atRoot)) {
            return BadInput.FORMAT;
        }
        return opts == 1 && version != 0 ? BadInput.EDNS_VERSION : null;
    }

    /**
     * Classes other than IN and ANY are REFUSED (we serve IN only); zone transfers are REFUSED on the query port;
     * {@link #formatErrorType} questions are FORMERR. Null: the question is answered.
     */
    static BadInput question(int qclass, int qtype) {
        if (qclass != DClass.IN && qclass != DClass.ANY) {
            return BadInput.CLASS;
        }
        if (qtype == Type.AXFR || qtype == Type.IXFR) {
            return BadInput.TRANSFER;
        }
        return formatErrorType(qtype) ? BadInput.FORMAT : null;
    }

    /** The rcode a query refused for {@code reason} gets. */
    static int rcode(BadInput reason) {
        return switch (reason) {
            case OPCODE -> Rcode.NOTIMP;
            case EDNS_VERSION -> Rcode.BADVERS;
            case CLASS, TRANSFER -> Rcode.REFUSED;
            default -> Rcode.FORMERR;
        };
    }

    /**
     * Whether the fast path may answer a question: class IN and no {@link #metaType}. Every question that {@link
     * #question} refuses is of another class or a meta-type, so the fast path never answers what the full path
     * refuses ({@code QueryRulesTest} checks every type).
     */
    static boolean fastPathQuestion(int qclass, int qtype) {
        return qclass == DClass.IN && !metaType(qtype);
    }

    /**
     * Types the fast path leaves to the full path, whose rules then hold for UDP and TCP alike: type 0, OPT (41) and
     * every type of the meta/question range 128-255 (RFC 6895 3.1). The full path answers them as {@link
     * #formatErrorType} (FORMERR), AXFR/IXFR (REFUSED), MAILA/MAILB (NOTIMP, from the query engine), ANY (every RRset
     * over TCP, one over UDP) and the unassigned ones as any other type.
     */
    static boolean metaType(int qtype) {
        return qtype == 0 || qtype == Type.OPT || (qtype >= 128 && qtype <= 255);
    }

    /**
     * Question types that make a query malformed: type 0 (reserved), and OPT, TSIG and TKEY, records that only ever
     * travel in the additional section (RFC 6891 6.1.1, RFC 8945 4.1, RFC 2930 2); a question asking for one is a
     * format error on either transport. (Knot answers TKEY and TSIG questions with NODATA and type 0 with NOTIMP: we
     * keep FORMERR, which the full path has always answered.)
     */
    static boolean formatErrorType(int qtype) {
        return qtype == 0 || qtype == Type.OPT || qtype == Type.TSIG || qtype == Type.TKEY;
    }
}
