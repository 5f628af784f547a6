package dev.zonekeeper.dns.standalone;

import java.nio.file.Path;
import java.util.List;

/**
 * What a load of a manifest directory produced.
 *
 * @param records every accepted record, in file order (sorted paths, then document order, then value order)
 * @param rejections every manifest or file that was refused, in the same order
 * @param ignoredDocuments YAML documents that are not {@code zonekeeper.dev/v1alpha1} {@code DnsRecord}s (other
 *     kinds, other API versions, values files, DnsUpdatePolicies written for a cluster: a keySecretRef and no
 *     keyFile), which are skipped without complaint
 * @param filesTooLarge files refused unread because they are over {@link ManifestDirectory.Limits#maxFileBytes()}
 *     (each is also a rejection)
 * @param filesOverRecordLimit files refused because the records before them, with theirs, are over
 *     {@link ManifestDirectory.Limits#maxRecords()} (each is also a rejection)
 */
public record LoadResult(
        List<org.xbill.DNS.Record> records,
        List<Rejection> rejections,
        int ignoredDocuments,
        int filesTooLarge,
        int filesOverRecordLimit,
        List<Path> recordFiles,
        List<PolicyDocument> policies,
        int policiesRejected) {

    /**
     * @param recordFiles the file of each record (relative to the directory), parallel to {@code records}: the
     *     update store tells the records updates wrote from those written by hand
     * @param policies the accepted {@code DnsUpdatePolicy} documents, in path order
     * @param policiesRejected {@code DnsUpdatePolicy} documents refused (each is also a rejection)
     */
    public LoadResult {
        records = List.copyOf(records);
        rejections = List.copyOf(rejections);
        recordFiles = List.copyOf(recordFiles);
        policies = List.copyOf(policies);
        if (!recordFiles.isEmpty() && recordFiles.size() != records.size()) {
            throw new IllegalArgumentException("one file per record");
        }
    }

    public LoadResult(
            List<org.xbill.DNS.Record> records,
            List<Rejection> rejections,
            int ignoredDocuments,
            int filesTooLarge,
            int filesOverRecordLimit) {
        this(records, rejections, ignoredDocuments, filesTooLarge, filesOverRecordLimit, List.of(), List.of(), 0);
    }

    public LoadResult(List<org.xbill.DNS.Record> records, List<Rejection> rejections, int ignoredDocuments) {
        this(records, rejections, ignoredDocuments, 0, 0);
    }

    public LoadResult(List<org.xbill.DNS.Record> records, List<Rejection> rejections) {
        this(records, rejections, 0);
    }

    /** One line for a log, e.g. {@code 14 records loaded, 1 manifest rejected, 2 other documents ignored}. */
    public String summary() {
        return records.size() + (records.size() == 1 ? " record" : " records") + " loaded, "
                + rejections.size() + (rejections.size() == 1 ? " rejection" : " rejections") + ", "
                + ignoredDocuments + (ignoredDocuments == 1 ? " other document" : " other documents") + " ignored";
    }
}
