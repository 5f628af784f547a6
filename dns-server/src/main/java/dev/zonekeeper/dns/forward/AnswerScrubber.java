package dev.zonekeeper.dns.forward;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Drops what an upstream answer should not carry before it is cached and passed on (Unbound's {@code harden-glue}
 * and its scrubber, issue 13 point 9). An upstream, or anything behind it, can add records; passing them on would let
 * it plant data for names it does not own, including our own zones:
 * <ul>
 *   <li>nothing is kept for a name in one of our served zones (outside {@code fallthrough}): those names are ours to
 *       answer, so a forged {@code www.<our zone> A}, or a CNAME chain into our zone with a forged address at its
 *       end, loses the forged part (the CNAME itself, owned by the upstream's name, stays);</li>
 *   <li>answer: only the CNAME chain from the question (at most 16 links, DNAMEs above a link) and the records of the
 *       question's type (any type for ANY) at the names of the chain, with their RRSIGs;</li>
 *   <li>authority: NS, SOA and DS only for an ancestor-or-self of the chain's final name; NSEC, NSEC3 and RRSIG
 *       (denial proofs) kept; anything else dropped;</li>
 *   <li>additional: only A and AAAA (and their RRSIGs) of the targets of the NS, MX and SRV records kept; OPT, TSIG
 *       and SIG(0) belong to one hop and are never passed on (not counted as scrubbed).</li>
 * </ul>
 * Thread-safe (immutable).
 */
final class AnswerScrubber {
    private static final int MAX_CHAIN = 16;

    private final List<Name> servedZones;
    private final List<Name> fallthrough;

    AnswerScrubber(List<Name> servedZones, List<Name> fallthrough) {
        this.servedZones = List.copyOf(servedZones);
        this.fallthrough = List.copyOf(fallthrough);
    }

    /** Whether {@code name} is in a served zone and not under a fallthrough name: ours to answer, not upstream's. */
    boolean ours(Name name) {
        for (Name zone : servedZones) {
            if (name.subdomain(zone)) {
                for (Name f : fallthrough) {
                    if (name.subdomain(f)) {
                        return false;
                    }
                }
                return true;
            }
        }
        return false;
    }

    /** The passed-on parts of {@code upstream} (which answers a question), with the records above dropped. */
    CachedResponse scrub(Message upstream, ForwarderMetrics metrics) {
        org.xbill.DNS.Record question = upstream.getQuestion();
        Name qname = question.getName();
        int qtype = question.getType();

        List<org.xbill.DNS.Record> answer = upstream.getSection(Section.ANSWER);
        boolean[] keep = new boolean[answer.size()];
        Set<Name> chain = new HashSet<>();
        Name current = qname;
        for (int hop = 0; hop < MAX_CHAIN && !ours(current) && chain.add(current); hop++) {
            Name next = null;
            for (int i = 0; i < keep.length; i++) {
                org.xbill.DNS.Record r = answer.get(i);
                Name owner = r.getName();
                if (r instanceof DNAMERecord
                        && qtype != Type.DNAME
                        && current.subdomain(owner)
                        && !current.equals(owner)
                        && !ours(owner)) {
                    keep[i] = true;
                } else if (r instanceof CNAMERecord cname
                        && qtype != Type.CNAME
                        && owner.equals(current)
                        && next == null) {
                    keep[i] = true;
                    next = cname.getTarget();
                }
            }
            if (next == null) {
                break;
            }
            current = next;
        }
        Name last = current;
        List<org.xbill.DNS.Record> keptAnswer = new ArrayList<>();
        Set<Name> targets = new HashSet<>();
        for (int i = 0; i < keep.length; i++) {
            org.xbill.DNS.Record r = answer.get(i);
            if (!keep[i] && chain.contains(r.getName())) {
                int type = r instanceof RRSIGRecord sig ? sig.getTypeCovered() : r.getType();
                keep[i] = qtype == Type.ANY || type == qtype || (r instanceof RRSIGRecord && type == Type.CNAME);
            }
            if (keep[i]) {
                keptAnswer.add(r);
                addTarget(r, targets);
            }
        }

        List<org.xbill.DNS.Record> keptAuthority = new ArrayList<>();
        List<org.xbill.DNS.Record> authority = upstream.getSection(Section.AUTHORITY);
        for (org.xbill.DNS.Record r : authority) {
            Name owner = r.getName();
            if (ours(owner)) {
                continue;
            }
            boolean kept = switch (r.getType()) {
                case Type.NS, Type.SOA, Type.DS -> last.subdomain(owner);
                case Type.NSEC, Type.NSEC3, Type.RRSIG -> true;
                default -> false;
            };
            if (kept) {
                keptAuthority.add(r);
                addTarget(r, targets);
            }
        }

        List<org.xbill.DNS.Record> keptAdditional = new ArrayList<>();
        int additionalDropped = 0;
        for (org.xbill.DNS.Record r : upstream.getSection(Section.ADDITIONAL)) {
            int type = r.getType();
            if (type == Type.OPT || type == Type.TSIG || type == Type.SIG) {
                continue; // one hop's, not the answer's
            }
            int covered = r instanceof RRSIGRecord sig ? sig.getTypeCovered() : type;
            if ((covered == Type.A || covered == Type.AAAA) && targets.contains(r.getName()) && !ours(r.getName())) {
                keptAdditional.add(r);
            } else {
                additionalDropped++;
            }
        }

        count(metrics, "answer", answer.size() - keptAnswer.size());
        count(metrics, "authority", authority.size() - keptAuthority.size());
        count(metrics, "additional", additionalDropped);
        return new CachedResponse(
                upstream.getHeader().getRcode(),
                upstream.getHeader().getFlag(Flags.AD),
                keptAnswer,
                keptAuthority,
                keptAdditional);
    }

    private static void addTarget(org.xbill.DNS.Record r, Set<Name> targets) {
        if (r instanceof NSRecord ns) {
            targets.add(ns.getTarget());
        } else if (r instanceof MXRecord mx) {
            targets.add(mx.getTarget());
        } else if (r instanceof SRVRecord srv) {
            targets.add(srv.getTarget());
        }
    }

    private static void count(ForwarderMetrics metrics, String section, int dropped) {
        if (dropped > 0) {
            metrics.scrubbed(section, dropped);
        }
    }
}
