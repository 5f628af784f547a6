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
 * A set of DNS records with one owner name and one type, served by Zonekeeper in a zone the namespace may write to.
 */
@Group(DnsRecord.GROUP)
@Version(DnsRecord.VERSION)
@ShortNames("dnsr")
@Categories("zonekeeper")
@JsonClassDescription("DnsRecord publishes DNS records of one name and type in a zone served by Zonekeeper.")
@AdditionalPrinterColumn(name = "FQDN", jsonPath = ".status.fqdn", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Type", jsonPath = ".spec.type", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Values", jsonPath = ".spec.values", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "TTL", jsonPath = ".spec.ttl", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
        name = "Ready",
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class DnsRecord extends CustomResource<DnsRecordSpec, DnsRecordStatus> implements Namespaced {

    public static final String GROUP = "zonekeeper.dev";
    public static final String VERSION = "v1alpha1";

    @Override
    protected DnsRecordSpec initSpec() {
        return new DnsRecordSpec();
    }

    @Override
    protected DnsRecordStatus initStatus() {
        return new DnsRecordStatus();
    }
}
