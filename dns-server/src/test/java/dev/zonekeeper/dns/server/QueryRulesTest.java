package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.metrics.DnsMetrics.BadInput;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The refusal rules are one list that both paths consult: the fast path never takes a query that the full path
 * refuses, for any class, type or opcode.
 */
class QueryRulesTest {

    @Test
    void theFastPathTakesNoQuestionTheFullPathRefuses() {
        int[] classes = {DClass.IN, DClass.CH, DClass.HS, DClass.NONE, DClass.ANY, 0, 2, 5, 65535};
        int refusedTypes = 0;
        for (int qclass : classes) {
            for (int qtype = 0; qtype <= 0xFFFF; qtype++) {
                if (QueryRules.question(qclass, qtype) != null) {
                    refusedTypes++;
                    assertThat(QueryRules.fastPathQuestion(qclass, qtype))
                            .as("class %d type %d", qclass, qtype)
                            .isFalse();
                }
            }
        }
        assertThat(refusedTypes).as("refusals checked").isPositive();
        assertThat(QueryRules.question(DClass.IN, Type.A)).isNull();
        assertThat(QueryRules.question(DClass.ANY, Type.A)).isNull();
        assertThat(QueryRules.fastPathQuestion(DClass.IN, Type.A)).isTrue();
        assertThat(QueryRules.fastPathQuestion(DClass.ANY, Type.A))
                .as("class ANY: the full path answers")
                .isFalse();
    }

    @Test
    void eachRefusalHasItsRcode() {
        assertThat(QueryRules.rcode(QueryRules.header(Opcode.NOTIFY, 1))).isEqualTo(Rcode.NOTIMP);
        assertThat(QueryRules.rcode(QueryRules.header(Opcode.QUERY, 2))).isEqualTo(Rcode.FORMERR);
        assertThat(QueryRules.rcode(QueryRules.edns(2, true, 0))).isEqualTo(Rcode.FORMERR);
        assertThat(QueryRules.rcode(QueryRules.edns(1, false, 0))).isEqualTo(Rcode.FORMERR);
        assertThat(QueryRules.rcode(QueryRules.edns(1, true, 1))).isEqualTo(Rcode.BADVERS);
        assertThat(QueryRules.edns(0, true, 1)).as("no OPT: no version").isNull();
        assertThat(QueryRules.rcode(QueryRules.question(DClass.CH, Type.TXT))).isEqualTo(Rcode.REFUSED);
        assertThat(QueryRules.question(DClass.IN, Type.AXFR)).isEqualTo(BadInput.TRANSFER);
        assertThat(QueryRules.rcode(QueryRules.question(DClass.IN, Type.IXFR))).isEqualTo(Rcode.REFUSED);
        for (int t : new int[] {0, Type.OPT, Type.TSIG, Type.TKEY}) {
            assertThat(QueryRules.rcode(QueryRules.question(DClass.IN, t)))
                    .as("type %d", t)
                    .isEqualTo(Rcode.FORMERR);
        }
    }

    @Test
    void theFastPathParsesOnlyWhatTheHeaderRuleLetsThrough() {
        for (int opcode = 0; opcode < 16; opcode++) {
            byte[] q = EdnsOptionAgreementTest.query(7, "www.example.test", Type.A, DClass.IN, null);
            q[2] = (byte) ((q[2] & 0x87) | (opcode << 3));
            int status = new QueryScratch().parse(Unpooled.wrappedBuffer(q));
            assertThat(status == QueryScratch.OK)
                    .as("opcode %d", opcode)
                    .isEqualTo(QueryRules.header(opcode, 1) == null);
        }
    }
}
