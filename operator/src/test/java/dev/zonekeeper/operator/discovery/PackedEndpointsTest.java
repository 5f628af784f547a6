package dev.zonekeeper.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zonekeeper.operator.discovery.EndpointSliceInfo.EndpointInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PackedEndpointsTest {

    /** 100 IPv6 addresses: 1,700 packed bytes, more than one length byte could say. */
    static final List<String> MANY_V6 = IntStream.range(0, 100)
            .mapToObj(i -> "fd00::" + Integer.toHexString(i + 1))
            .toList();

    static final List<EndpointInfo> VARIED = List.of(
            EndpointInfo.ready("web-0", "10.2.0.10"),
            EndpointInfo.notReady("", "10.2.0.11", "fd00::11"),
            EndpointInfo.terminating("web-2", "10.2.0.12"),
            new EndpointInfo(List.of("10.2.0.13"), null, null, null, null),
            new EndpointInfo(List.of("not-an-ip"), true, null, false, "odd"),
            new EndpointInfo(MANY_V6, true, true, false, "big"),
            EndpointInfo.ready("", "10.2.0.14"));

    @Test
    void endpointsComeBackAsTheyWereGivenInOrder() {
        List<EndpointInfo> packed = PackedEndpoints.of(VARIED);
        assertThat(packed).hasSize(VARIED.size()).containsExactlyElementsOf(VARIED);
        for (int i = 0; i < VARIED.size(); i++) {
            EndpointInfo e = packed.get(i);
            assertThat(e).isEqualTo(VARIED.get(i));
            assertThat(e.addresses()).isEqualTo(VARIED.get(i).addresses());
            assertThat(e.hostname()).isEqualTo(VARIED.get(i).hostname());
            assertThat(e.ready()).isEqualTo(VARIED.get(i).ready());
            assertThat(e.serving()).isEqualTo(VARIED.get(i).serving());
            assertThat(e.terminating()).isEqualTo(VARIED.get(i).terminating());
        }
        assertThat(packed.get(5).addresses()).hasSize(100).startsWith("fd00::1").endsWith("fd00::64");
        assertThat(packed.get(4).addresses()).isEmpty();
    }

    @Test
    void equalsAndHashCodeFollowTheListContractBothWays() {
        List<EndpointInfo> packed = PackedEndpoints.of(VARIED);
        assertThat(packed).isEqualTo(VARIED).isEqualTo(PackedEndpoints.of(new ArrayList<>(VARIED)));
        assertThat(VARIED).isEqualTo(packed);
        assertThat(packed.hashCode()).isEqualTo(VARIED.hashCode());

        List<EndpointInfo> otherCondition = new ArrayList<>(VARIED);
        otherCondition.set(0, EndpointInfo.notReady("web-0", "10.2.0.10"));
        List<EndpointInfo> otherHostname = new ArrayList<>(VARIED);
        otherHostname.set(6, EndpointInfo.ready("web-6", "10.2.0.14"));
        List<EndpointInfo> otherAddress = new ArrayList<>(VARIED);
        otherAddress.set(3, new EndpointInfo(List.of("10.2.0.99"), null, null, null, null));
        for (List<EndpointInfo> other : List.of(otherCondition, otherHostname, otherAddress, VARIED.subList(0, 6))) {
            assertThat(PackedEndpoints.of(other)).isNotEqualTo(packed);
            assertThat(packed).isNotEqualTo(PackedEndpoints.of(other));
        }
    }

    @Test
    void noEndpointsIsTheEmptyListAndIndexesOutsideThrow() {
        assertThat(PackedEndpoints.of(List.of())).isEmpty();
        List<EndpointInfo> packed = PackedEndpoints.of(VARIED.subList(0, 2));
        assertThatThrownBy(() -> packed.get(2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> packed.get(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> packed.add(VARIED.get(0))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aSliceKeepsItsEndpointsPacked() {
        EndpointSliceInfo slice =
                new EndpointSliceInfo("ns", "web-1", "web", EndpointSliceInfo.AddressType.IPv4, VARIED, List.of());
        assertThat(slice.endpoints()).isInstanceOf(PackedEndpoints.class).isEqualTo(VARIED);
        assertThat(new EndpointSliceInfo("ns", "web-1", "web", null, new ArrayList<>(VARIED), null))
                .isEqualTo(slice);
    }
}
