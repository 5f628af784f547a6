package dev.zonekeeper.dns.update;

import static dev.zonekeeper.dns.update.UpdateTesting.ZONE;
import static dev.zonekeeper.dns.update.UpdateTesting.everything;
import static dev.zonekeeper.dns.update.UpdateTesting.name;
import static dev.zonekeeper.dns.update.UpdateTesting.zone;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zonekeeper.dns.zone.Zone;
import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/** RFC 2136 semantics on a zone, without the wire or a store: prerequisites, operations, grants, refusals. */
class UpdateEvaluatorTest {

    interface Build {
        void into(Update u) throws IOException;
    }

    /** Reads {@code build}'s request as the service does (through its wire form) and evaluates it on {@code zone}. */
    static UpdateEvaluator.Result evaluate(Zone zone, UpdatePolicy policy, Build build) throws Exception {
        Update u = new Update(ZONE);
        build.into(u);
        Message m = new Message(u.toWire());
        return UpdateEvaluator.evaluate(zone, policy, UpdateRequest.read(m, UpdateRequest.zoneOf(m)));
    }

    static UpdateResult resultOf(UpdateEvaluator.Result r) {
        return r instanceof UpdateEvaluator.Failed f ? f.result() : UpdateResult.APPLIED;
    }

    static Zone after(Zone zone, UpdateEvaluator.Result r) {
        assertThat(r).isInstanceOf(UpdateEvaluator.Changes.class);
        return UpdateTesting.applied(zone, ((UpdateEvaluator.Changes) r).changes());
    }

    /** The RRset as sorted "TTL rdata" strings. */
    static List<String> rrset(Zone zone, String owner, int type) {
        return zone.rrset(name(owner), type).stream()
                .map(r -> r.getTTL() + " " + RecordValues.value(r))
                .sorted()
                .toList();
    }

    static Stream<Arguments> prerequisites() {
        Name www = name("www.example.test.");
        Name none = name("none.example.test.");
        Name ent = name("below.sub.example.test."); // an empty non-terminal: exists, holds no data
        return Stream.of(
                Arguments.of("name in use: holds", (Build) u -> u.present(www), UpdateResult.APPLIED),
                Arguments.of("name in use: fails", (Build) u -> u.present(none), UpdateResult.PREREQ_NXDOMAIN),
                Arguments.of(
                        "name in use: empty non-terminal", (Build) u -> u.present(ent), UpdateResult.PREREQ_NXDOMAIN),
                Arguments.of("name not in use: holds", (Build) u -> u.absent(none), UpdateResult.APPLIED),
                Arguments.of("name not in use: fails", (Build) u -> u.absent(www), UpdateResult.PREREQ_YXDOMAIN),
                Arguments.of("name not in use: empty non-terminal", (Build) u -> u.absent(ent), UpdateResult.APPLIED),
                Arguments.of("rrset exists: holds", (Build) u -> u.present(www, Type.A), UpdateResult.APPLIED),
                Arguments.of("rrset exists: fails", (Build) u -> u.present(www, Type.TXT), UpdateResult.PREREQ_NXRRSET),
                Arguments.of("rrset does not exist: holds", (Build) u -> u.absent(www, Type.TXT), UpdateResult.APPLIED),
                Arguments.of(
                        "rrset does not exist: fails", (Build) u -> u.absent(www, Type.A), UpdateResult.PREREQ_YXRRSET),
                Arguments.of(
                        "rrset exists with values: holds (order and TTL do not matter)",
                        (Build) u -> {
                            u.present(www, Type.A, "192.0.2.2");
                            u.present(www, Type.A, "192.0.2.1");
                        },
                        UpdateResult.APPLIED),
                Arguments.of(
                        "rrset exists with values: a subset fails",
                        (Build) u -> u.present(www, Type.A, "192.0.2.1"),
                        UpdateResult.PREREQ_NXRRSET),
                Arguments.of(
                        "rrset exists with values: another value fails",
                        (Build) u -> {
                            u.present(www, Type.A, "192.0.2.1");
                            u.present(www, Type.A, "192.0.2.3");
                        },
                        UpdateResult.PREREQ_NXRRSET),
                Arguments.of(
                        "rrset exists with values: absent rrset fails",
                        (Build) u -> u.present(none, Type.A, "192.0.2.1"),
                        UpdateResult.PREREQ_NXRRSET),
                Arguments.of(
                        "several prerequisites: the first failing one decides",
                        (Build) u -> {
                            u.present(www);
                            u.absent(www, Type.A);
                            u.present(none);
                        },
                        UpdateResult.PREREQ_YXRRSET));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void prerequisites(String description, Build prereqs, UpdateResult expected) throws Exception {
        Zone zone = zone();
        UpdateEvaluator.Result r = evaluate(zone, everything(), u -> {
            prereqs.into(u);
            u.add(name("new.example.test."), Type.TXT, 60, "\"added\"");
        });
        assertThat(resultOf(r)).isEqualTo(expected);
        if (expected == UpdateResult.APPLIED) {
            assertThat(rrset(after(zone, r), "new.example.test.", Type.TXT)).containsExactly("60 \"added\"");
        }
    }

    @Test
    void prerequisiteRcodesAreThoseOfRfc2136() {
        assertThat(UpdateResult.PREREQ_NXDOMAIN.rcode()).isEqualTo(org.xbill.DNS.Rcode.NXDOMAIN);
        assertThat(UpdateResult.PREREQ_YXDOMAIN.rcode()).isEqualTo(org.xbill.DNS.Rcode.YXDOMAIN);
        assertThat(UpdateResult.PREREQ_NXRRSET.rcode()).isEqualTo(org.xbill.DNS.Rcode.NXRRSET);
        assertThat(UpdateResult.PREREQ_YXRRSET.rcode()).isEqualTo(org.xbill.DNS.Rcode.YXRRSET);
        assertThat(UpdateResult.NOT_ZONE.rcode()).isEqualTo(org.xbill.DNS.Rcode.NOTZONE);
    }

    /** owner, type, expected RRset afterwards ("TTL rdata", sorted). */
    record Expect(String owner, int type, List<String> rrset) {}

    static Stream<Arguments> operations() {
        Name www = name("www.example.test.");
        Name txt = name("txt.example.test.");
        Name alias = name("alias.example.test.");
        return Stream.of(
                Arguments.of(
                        "add a record at a new name",
                        (Build) u -> u.add(name("new.example.test."), Type.A, 120, "192.0.2.7"),
                        1,
                        new Expect("new.example.test.", Type.A, List.of("120 192.0.2.7"))),
                Arguments.of(
                        "add a record to an RRset: its TTL becomes the added record's",
                        (Build) u -> u.add(www, Type.A, 60, "192.0.2.3"),
                        1,
                        new Expect(
                                "www.example.test.", Type.A, List.of("60 192.0.2.1", "60 192.0.2.2", "60 192.0.2.3"))),
                Arguments.of(
                        "add a record that exists: nothing changes",
                        (Build) u -> u.add(www, Type.A, 300, "192.0.2.1"),
                        0,
                        new Expect("www.example.test.", Type.A, List.of("300 192.0.2.1", "300 192.0.2.2"))),
                Arguments.of(
                        "add a record that exists with another TTL: the TTL changes",
                        (Build) u -> u.add(www, Type.A, 30, "192.0.2.1"),
                        1,
                        new Expect("www.example.test.", Type.A, List.of("30 192.0.2.1", "30 192.0.2.2"))),
                Arguments.of(
                        "add a third TXT value: the others stay",
                        (Build) u -> u.add(txt, Type.TXT, 300, "\"three\""),
                        1,
                        new Expect(
                                "txt.example.test.", Type.TXT, List.of("300 \"one\"", "300 \"three\"", "300 \"two\""))),
                Arguments.of(
                        "delete one record: the other stays",
                        (Build) u -> u.delete(txt, Type.TXT, "\"one\""),
                        1,
                        new Expect("txt.example.test.", Type.TXT, List.of("300 \"two\""))),
                Arguments.of(
                        "delete a record that is not there: nothing changes",
                        (Build) u -> u.delete(txt, Type.TXT, "\"nine\""),
                        0,
                        new Expect("txt.example.test.", Type.TXT, List.of("300 \"one\"", "300 \"two\""))),
                Arguments.of(
                        "delete the last record of an RRset",
                        (Build) u -> {
                            u.delete(txt, Type.TXT, "\"one\"");
                            u.delete(txt, Type.TXT, "\"two\"");
                        },
                        1,
                        new Expect("txt.example.test.", Type.TXT, List.of())),
                Arguments.of(
                        "delete an RRset",
                        (Build) u -> u.delete(www, Type.A),
                        1,
                        new Expect("www.example.test.", Type.A, List.of())),
                Arguments.of(
                        "delete an RRset that is not there: nothing changes",
                        (Build) u -> u.delete(www, Type.TXT),
                        0,
                        new Expect("www.example.test.", Type.A, List.of("300 192.0.2.1", "300 192.0.2.2"))),
                Arguments.of(
                        "delete every RRset at a name",
                        (Build) u -> {
                            u.add(www, Type.TXT, 60, "\"x\"");
                            u.delete(www);
                        },
                        1,
                        new Expect("www.example.test.", Type.A, List.of())),
                Arguments.of(
                        "operations apply in order: add then delete",
                        (Build) u -> {
                            u.add(name("new.example.test."), Type.A, 120, "192.0.2.7");
                            u.delete(name("new.example.test."), Type.A, "192.0.2.7");
                        },
                        0,
                        new Expect("new.example.test.", Type.A, List.of())),
                Arguments.of(
                        "operations apply in order: replace an RRset (delete then add)",
                        (Build) u -> {
                            u.delete(www, Type.A);
                            u.add(www, Type.A, 300, "192.0.2.9");
                        },
                        1,
                        new Expect("www.example.test.", Type.A, List.of("300 192.0.2.9"))),
                Arguments.of(
                        "a CNAME is not added beside other data",
                        (Build) u -> u.add(www, Type.CNAME, 300, "other.example.test."),
                        0,
                        new Expect("www.example.test.", Type.CNAME, List.of())),
                Arguments.of(
                        "other data is not added beside a CNAME",
                        (Build) u -> u.add(alias, Type.TXT, 300, "\"x\""),
                        0,
                        new Expect("alias.example.test.", Type.TXT, List.of())),
                Arguments.of(
                        "a CNAME replaces a CNAME",
                        (Build) u -> u.add(alias, Type.CNAME, 300, "ns1.example.test."),
                        1,
                        new Expect("alias.example.test.", Type.CNAME, List.of("300 ns1.example.test."))),
                Arguments.of(
                        "a CNAME at the apex is ignored: the SOA and NS stay there",
                        (Build) u -> {
                            u.delete(ZONE);
                            u.add(ZONE, Type.CNAME, 300, "www.example.test.");
                        },
                        0,
                        new Expect("example.test.", Type.CNAME, List.of())),
                Arguments.of(
                        "delete every RRset at the apex keeps its SOA and NS",
                        (Build) u -> {
                            u.add(ZONE, Type.TXT, 300, "\"apex\"");
                            u.delete(ZONE);
                        },
                        0,
                        new Expect("example.test.", Type.NS, List.of("300 ns1.example.test."))),
                Arguments.of(
                        "delete every RRset at the apex deletes its other data",
                        (Build) u -> u.delete(ZONE),
                        1,
                        new Expect("example.test.", Type.MX, List.of())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void operations(String description, Build build, int changedRRsets, Expect expect) throws Exception {
        Zone zone = zone();
        if (description.contains("deletes its other data")) {
            zone = zone.apply(
                    List.of(),
                    List.of(org.xbill.DNS.Record.fromString(
                            ZONE, Type.MX, DClass.IN, 300, "10 mail.example.test.", Name.root)));
        }
        UpdateEvaluator.Result r = evaluate(zone, everything(), build);
        Zone after = after(zone, r);
        assertThat(((UpdateEvaluator.Changes) r).changes().changes()).hasSize(changedRRsets);
        assertThat(rrset(after, expect.owner(), expect.type())).isEqualTo(expect.rrset());
        assertThat(after.rrset(ZONE, Type.SOA)).hasSize(1);
        assertThat(after.rrset(ZONE, Type.NS)).isNotEmpty();
    }

    @Test
    void twoAcmeChallengesCoexistAndCleaningOneLeavesTheOther() throws Exception {
        // a certificate for example.test and *.example.test: two values at one name, written by two updates
        Name challenge = name("_acme-challenge.example.test.");
        UpdatePolicy policy = UpdateTesting.policy(
                "acme",
                UpdateTesting.key(TSIG.HMAC_MD5, "acme."),
                "acme.",
                ZONE,
                UpdateTesting.grant(Grant.Match.NAME, "_acme-challenge.example.test.", Type.TXT));
        Zone zone = zone();
        zone = after(zone, evaluate(zone, policy, u -> u.add(challenge, Type.TXT, 60, "\"token-for-apex\"")));
        zone = after(zone, evaluate(zone, policy, u -> u.add(challenge, Type.TXT, 60, "\"token-for-wildcard\"")));
        assertThat(rrset(zone, "_acme-challenge.example.test.", Type.TXT))
                .containsExactly("60 \"token-for-apex\"", "60 \"token-for-wildcard\"");

        zone = after(zone, evaluate(zone, policy, u -> u.delete(challenge, Type.TXT, "\"token-for-apex\"")));
        assertThat(rrset(zone, "_acme-challenge.example.test.", Type.TXT)).containsExactly("60 \"token-for-wildcard\"");

        zone = after(zone, evaluate(zone, policy, u -> u.delete(challenge, Type.TXT, "\"token-for-wildcard\"")));
        assertThat(zone.hasData(challenge)).isFalse();
    }

    @Test
    void changeSetListsBeforeAndAfterOfEveryChangedRRsetOnly() throws Exception {
        Zone zone = zone();
        UpdateEvaluator.Result r = evaluate(zone, everything(), u -> {
            u.delete(name("txt.example.test."), Type.TXT, "\"one\"");
            u.add(name("NEW.example.test."), Type.A, 60, "192.0.2.8");
            u.add(name("www.example.test."), Type.A, 300, "192.0.2.1"); // already there: not a change
        });
        ChangeSet cs = ((UpdateEvaluator.Changes) r).changes();
        assertThat(cs.zone()).isEqualTo(ZONE);
        assertThat(cs.changes()).hasSize(2);
        ChangeSet.RRsetChange txt = cs.changes().get(0);
        assertThat(txt.name().toString()).isEqualTo("txt.example.test.");
        assertThat(txt.before()).hasSize(2);
        assertThat(txt.after()).extracting(RecordValues::value).containsExactly("\"two\"");
        assertThat(txt.ttl()).isEqualTo(300);
        ChangeSet.RRsetChange created = cs.changes().get(1);
        assertThat(created.creates()).isTrue();
        assertThat(created.name().toString()).isEqualTo("new.example.test."); // lower case
        assertThat(created.after().get(0).getName().toString()).isEqualTo("new.example.test.");
        assertThat(created.ttl()).isEqualTo(60);
    }

    @Test
    void oneUpdateCannotChangeWithoutBound() throws Exception {
        Zone zone = zone();
        UpdateEvaluator.Result many = evaluate(zone, everything(), u -> {
            for (int i = 0; i <= UpdateEvaluator.MAX_CHANGED_RRSETS; i++) {
                u.add(name("n" + i + ".example.test."), Type.A, 60, "192.0.2.1");
            }
        });
        assertThat(resultOf(many)).isEqualTo(UpdateResult.MALFORMED);
        UpdateEvaluator.Result most = evaluate(zone, everything(), u -> {
            for (int i = 0; i < UpdateEvaluator.MAX_CHANGED_RRSETS; i++) {
                u.add(name("n" + i + ".example.test."), Type.A, 60, "192.0.2.1");
            }
        });
        assertThat(((UpdateEvaluator.Changes) most).changes().changes()).hasSize(UpdateEvaluator.MAX_CHANGED_RRSETS);

        Name big = name("big.example.test.");
        List<org.xbill.DNS.Record> records = new java.util.ArrayList<>();
        for (int i = 0; i < UpdateEvaluator.MAX_RRSET_RECORDS; i++) {
            records.add(new org.xbill.DNS.TXTRecord(big, DClass.IN, 60, "v" + i));
        }
        Zone full = zone.apply(List.of(), records);
        assertThat(resultOf(evaluate(full, everything(), u -> u.add(big, Type.TXT, 60, "\"one-more\""))))
                .isEqualTo(UpdateResult.MALFORMED);
        // a full RRset can still shrink
        assertThat(resultOf(evaluate(full, everything(), u -> u.delete(big, Type.TXT, "\"v0\""))))
                .isEqualTo(UpdateResult.APPLIED);
    }

    static Stream<Arguments> refusals() {
        Name www = name("www.example.test.");
        return Stream.of(
                Arguments.of(
                        "add an SOA",
                        (Build) u ->
                                u.add(ZONE, Type.SOA, 300, "ns1.example.test. h.example.test. 9 3600 600 86400 60"),
                        UpdateResult.GENERATED_NAME),
                Arguments.of("delete the SOA", (Build) u -> u.delete(ZONE, Type.SOA), UpdateResult.GENERATED_NAME),
                Arguments.of(
                        "delete the apex NS RRset", (Build) u -> u.delete(ZONE, Type.NS), UpdateResult.GENERATED_NAME),
                Arguments.of(
                        "delete one apex NS",
                        (Build) u -> u.delete(ZONE, Type.NS, "ns1.example.test."),
                        UpdateResult.GENERATED_NAME),
                Arguments.of(
                        "add an apex NS",
                        (Build) u -> u.add(ZONE, Type.NS, 300, "ns2.example.test."),
                        UpdateResult.GENERATED_NAME),
                Arguments.of(
                        "add a type a DnsRecord cannot hold",
                        (Build) u -> u.add(www, Type.HINFO, 300, "\"cpu\" \"os\""),
                        UpdateResult.UNSUPPORTED),
                Arguments.of(
                        "delete a type a DnsRecord cannot hold",
                        (Build) u -> u.delete(www, Type.HINFO),
                        UpdateResult.UNSUPPORTED),
                Arguments.of(
                        "a TTL over the validator's maximum",
                        (Build) u -> u.add(www, Type.A, 90_000, "192.0.2.5"),
                        UpdateResult.UNSUPPORTED),
                Arguments.of(
                        "a name the validator refuses",
                        (Build) u -> u.add(name("a\\ b.example.test."), Type.A, 300, "192.0.2.5"),
                        UpdateResult.UNSUPPORTED),
                Arguments.of(
                        "an update outside the zone",
                        (Build) u -> u.add(name("www.other.test."), Type.A, 300, "192.0.2.5"),
                        UpdateResult.NOT_ZONE),
                Arguments.of(
                        "a prerequisite outside the zone",
                        (Build) u -> u.present(name("other.test.")),
                        UpdateResult.NOT_ZONE),
                Arguments.of(
                        "NS below the apex is a delegation a DnsRecord can hold",
                        (Build) u -> u.add(name("sub.example.test."), Type.NS, 300, "ns.sub.example.test."),
                        UpdateResult.APPLIED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void refusals(String description, Build build, UpdateResult expected) {
        UpdateResult actual;
        try {
            actual = resultOf(evaluate(zone(), everything(), build));
        } catch (Rejected e) {
            actual = e.result();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(actual).isEqualTo(expected);
    }

    static Stream<Arguments> malformed() {
        Name www = name("www.example.test.");
        return Stream.of(
                Arguments.of(
                        "prerequisite with a TTL",
                        org.xbill.DNS.Record.newRecord(www, Type.A, DClass.ANY, 60),
                        Section.PREREQ),
                Arguments.of(
                        "prerequisite of class CH",
                        org.xbill.DNS.Record.newRecord(www, Type.A, DClass.CH, 0),
                        Section.PREREQ),
                Arguments.of(
                        "prerequisite of class ANY with data",
                        record("www.example.test.", Type.A, DClass.ANY, 0, "192.0.2.1"),
                        Section.PREREQ),
                Arguments.of(
                        "prerequisite of class NONE with data",
                        record("www.example.test.", Type.A, DClass.NONE, 0, "192.0.2.1"),
                        Section.PREREQ),
                Arguments.of(
                        "RRset deletion with a TTL",
                        org.xbill.DNS.Record.newRecord(www, Type.A, DClass.ANY, 60),
                        Section.UPDATE),
                Arguments.of(
                        "RRset deletion with data",
                        record("www.example.test.", Type.A, DClass.ANY, 0, "192.0.2.1"),
                        Section.UPDATE),
                Arguments.of(
                        "record deletion with a TTL",
                        record("www.example.test.", Type.A, DClass.NONE, 60, "192.0.2.1"),
                        Section.UPDATE),
                Arguments.of(
                        "record deletion of type ANY",
                        org.xbill.DNS.Record.newRecord(www, Type.ANY, DClass.NONE, 0),
                        Section.UPDATE),
                Arguments.of(
                        "add of type ANY", org.xbill.DNS.Record.newRecord(www, Type.ANY, DClass.IN, 0), Section.UPDATE),
                Arguments.of(
                        "add of type AXFR",
                        org.xbill.DNS.Record.newRecord(www, Type.AXFR, DClass.IN, 0),
                        Section.UPDATE),
                Arguments.of(
                        "add without data", org.xbill.DNS.Record.newRecord(www, Type.A, DClass.IN, 60), Section.UPDATE),
                Arguments.of(
                        "update of class CH",
                        record("www.example.test.", Type.A, DClass.CH, 60, "192.0.2.1"),
                        Section.UPDATE));
    }

    static org.xbill.DNS.Record record(String owner, int type, int dclass, long ttl, String rdata) {
        try {
            return org.xbill.DNS.Record.fromString(name(owner), type, dclass, ttl, rdata, Name.root);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void malformed(String description, org.xbill.DNS.Record record, int section) throws Exception {
        Update u = new Update(ZONE);
        u.addRecord(record, section);
        Message m = new Message(u.toWire());
        assertThatThrownBy(() -> UpdateRequest.read(m, ZONE))
                .isInstanceOfSatisfying(
                        Rejected.class, e -> assertThat(e.result()).isEqualTo(UpdateResult.MALFORMED));
    }

    static Stream<Arguments> zoneSections() {
        return Stream.of(
                Arguments.of("no zone record", List.of()),
                Arguments.of(
                        "two zone records",
                        List.of(
                                org.xbill.DNS.Record.newRecord(ZONE, Type.SOA, DClass.IN),
                                org.xbill.DNS.Record.newRecord(ZONE, Type.SOA, DClass.IN))),
                Arguments.of("type A", List.of(org.xbill.DNS.Record.newRecord(ZONE, Type.A, DClass.IN))),
                Arguments.of("class CH", List.of(org.xbill.DNS.Record.newRecord(ZONE, Type.SOA, DClass.CH))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void zoneSections(String description, List<org.xbill.DNS.Record> zones) throws Exception {
        Message u = new Message();
        u.getHeader().setOpcode(org.xbill.DNS.Opcode.UPDATE);
        zones.forEach(z -> u.addRecord(z, Section.ZONE));
        Message m = new Message(u.toWire());
        assertThatThrownBy(() -> UpdateRequest.zoneOf(m))
                .isInstanceOfSatisfying(
                        Rejected.class, e -> assertThat(e.result()).isEqualTo(UpdateResult.MALFORMED));
    }

    static Stream<Arguments> grants() {
        Grant acme = UpdateTesting.grant(Grant.Match.SUBDOMAIN, "_acme-challenge.example.test.", Type.TXT);
        Name challenge = name("_acme-challenge.example.test.");
        Name www = name("www.example.test.");
        return Stream.of(
                Arguments.of(
                        "TXT inside the grant",
                        acme,
                        (Build) u -> u.add(challenge, Type.TXT, 60, "\"t\""),
                        UpdateResult.APPLIED),
                Arguments.of(
                        "TXT below the granted name",
                        acme,
                        (Build) u -> u.add(name("x._acme-challenge.example.test."), Type.TXT, 60, "\"t\""),
                        UpdateResult.APPLIED),
                Arguments.of(
                        "another type at the granted name",
                        acme,
                        (Build) u -> u.add(challenge, Type.A, 60, "192.0.2.1"),
                        UpdateResult.OUTSIDE_GRANT),
                Arguments.of(
                        "TXT at another name",
                        acme,
                        (Build) u -> u.add(www, Type.TXT, 60, "\"t\""),
                        UpdateResult.OUTSIDE_GRANT),
                Arguments.of(
                        "one record of several outside",
                        acme,
                        (Build) u -> {
                            u.add(challenge, Type.TXT, 60, "\"t\"");
                            u.delete(www, Type.TXT, "\"t\"");
                        },
                        UpdateResult.OUTSIDE_GRANT),
                Arguments.of(
                        "RRset deletion outside", acme, (Build) u -> u.delete(www, Type.A), UpdateResult.OUTSIDE_GRANT),
                Arguments.of(
                        "delete everything at a name holding an ungranted type",
                        acme,
                        (Build) u -> u.delete(www),
                        UpdateResult.OUTSIDE_GRANT),
                Arguments.of(
                        "delete everything at a granted name",
                        acme,
                        (Build) u -> {
                            u.add(challenge, Type.TXT, 60, "\"t\"");
                            u.delete(challenge);
                        },
                        UpdateResult.APPLIED),
                Arguments.of(
                        "delete everything at an empty ungranted name",
                        acme,
                        (Build) u -> u.delete(name("empty.example.test.")),
                        UpdateResult.OUTSIDE_GRANT),
                Arguments.of(
                        "wildcard grant: a name below",
                        UpdateTesting.grant(Grant.Match.WILDCARD, "*.dyn.example.test."),
                        (Build) u -> u.add(name("h1.dyn.example.test."), Type.A, 60, "192.0.2.4"),
                        UpdateResult.APPLIED),
                Arguments.of(
                        "wildcard grant: not the base name",
                        UpdateTesting.grant(Grant.Match.WILDCARD, "*.dyn.example.test."),
                        (Build) u -> u.add(name("dyn.example.test."), Type.A, 60, "192.0.2.4"),
                        UpdateResult.OUTSIDE_GRANT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void grants(String description, Grant grant, Build build, UpdateResult expected) throws Exception {
        UpdatePolicy policy = UpdateTesting.policy("p", UpdateTesting.key(TSIG.HMAC_SHA256, "k."), "k.", ZONE, grant);
        assertThat(resultOf(evaluate(zone(), policy, build))).isEqualTo(expected);
    }
}
