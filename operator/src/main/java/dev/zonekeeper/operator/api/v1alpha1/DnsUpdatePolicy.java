package dev.zonekeeper.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Which TSIG key may change what in one zone through dynamic UPDATE (RFC 2136); the records it writes are DnsRecords
 * in the policy's namespace.
 */
@Group(DnsRecord.GROUP)
@Version(DnsRecord.VERSION)
@ShortNames("dnsup")
@Categories("zonekeeper")
@JsonClassDescription("DnsUpdatePolicy lets the holder of a TSIG key change, through DNS dynamic UPDATE (RFC 2136), "
        + "the names and types its grants allow in one zone; accepted updates become DnsRecords in this namespace.")
@AdditionalPrinterColumn(name = "Zone", jsonPath = ".spec.zone", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Key", jsonPath = ".status.keyName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Grants", jsonPath = ".status.grants", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Ready",
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class DnsUpdatePolicy extends CustomResource<DnsUpdatePolicySpec, DnsUpdatePolicyStatus> implements Namespaced {

    @Override
    protected DnsUpdatePolicySpec initSpec() {
        return new DnsUpdatePolicySpec();
    }

    @Override
    protected DnsUpdatePolicyStatus initStatus() {
        return new DnsUpdatePolicyStatus();
    }
}
