package dev.zonekeeper.operator.records;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

class InMemoryRecordRegistryTest {

    @Test
    void publishReplacesAndWithdrawRemovesWithAGrowingVersion() throws Exception {
        InMemoryRecordRegistry registry = new InMemoryRecordRegistry();
        AtomicInteger changes = new AtomicInteger();
        registry.addListener(key -> {
            assertThat(key).isEqualTo("ns/api");
            changes.incrementAndGet();
        });
        Name owner = Name.fromString("api.example.com.");
        var one = new PublishedRecordSet(
                "ns",
                "api",
                owner,
                Type.A,
                List.of(new ARecord(owner, DClass.IN, 30, java.net.InetAddress.getByName("192.0.2.1"))));
        var two = new PublishedRecordSet(
                "ns",
                "api",
                owner,
                Type.A,
                List.of(new ARecord(owner, DClass.IN, 30, java.net.InetAddress.getByName("192.0.2.2"))));

        registry.publish(one);
        RecordRegistry.Snapshot first = registry.snapshot();
        registry.publish(one);
        registry.publish(two);
        RecordRegistry.Snapshot second = registry.snapshot();
        registry.withdraw("ns", "api");
        registry.withdraw("ns", "api");

        assertThat(first.recordSets()).containsOnlyKeys("ns/api").containsValue(one);
        assertThat(second.version()).isEqualTo(first.version() + 1);
        assertThat(second.recordSets().get("ns/api")).isEqualTo(two);
        assertThat(registry.snapshot().recordSets()).isEmpty();
        assertThat(changes).hasValue(3);
    }
}
