// Command externaldns-rfc2136 runs one reconciliation of ExternalDNS's controller loop with its real RFC 2136
// provider (sigs.k8s.io/external-dns/provider/rfc2136) and TXT registry (registry/txt), as `external-dns --once`
// does: current records listed through the registry (the provider's signed AXFR), desired endpoints adjusted by the
// registry, a plan calculated with the configured policy and ownership, and the plan's changes applied as signed
// UPDATEs. The external-dns command itself does not build from the module proxy (some provider SDKs are missing),
// and its sources need a cluster, so the desired endpoints come from a file instead of a Source.
//
//	externaldns-rfc2136 -desired FILE -- <external-dns flags, e.g. --provider=rfc2136 --rfc2136-host=...>
//
// FILE holds one endpoint per line: "<dns-name> <record-type> <ttl> <target> [<target>...]"; blank lines and lines
// starting with '#' are skipped; an empty file means "nothing desired". After applying, it prints the changes and
// then the records the registry lists afterwards, one per line:
//
//	create|update-old|update-new|delete <name> <type> <targets joined by ','>
//	record <name> <type> <targets joined by ','> owner=<owner label>
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	log "github.com/sirupsen/logrus"

	"sigs.k8s.io/external-dns/endpoint"
	"sigs.k8s.io/external-dns/pkg/apis/externaldns"
	"sigs.k8s.io/external-dns/plan"
	"sigs.k8s.io/external-dns/provider"
	"sigs.k8s.io/external-dns/provider/rfc2136"
	"sigs.k8s.io/external-dns/registry/txt"
)

func main() {
	fs := flag.NewFlagSet("externaldns-rfc2136", flag.ExitOnError)
	desired := fs.String("desired", "", "file with the desired endpoints")
	_ = fs.Parse(os.Args[1:])
	if *desired == "" {
		fs.Usage()
		os.Exit(2)
	}
	cfg := externaldns.NewConfig()
	if err := cfg.ParseFlags(fs.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "externaldns-rfc2136: external-dns flags: %v\n", err)
		os.Exit(2)
	}
	if cfg.Provider != "rfc2136" || cfg.Registry != "txt" {
		fmt.Fprintf(os.Stderr, "externaldns-rfc2136: only --provider=rfc2136 with --registry=txt (got %s, %s)\n", cfg.Provider, cfg.Registry)
		os.Exit(2)
	}
	if level, err := log.ParseLevel(cfg.LogLevel); err == nil {
		log.SetLevel(level)
	}
	log.SetOutput(os.Stderr)
	if err := run(cfg, *desired); err != nil {
		fmt.Fprintf(os.Stderr, "externaldns-rfc2136: %v\n", err)
		os.Exit(1)
	}
}

func run(cfg *externaldns.Config, desiredFile string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	desired, err := readEndpoints(desiredFile)
	if err != nil {
		return err
	}

	// As controller/execute.go builds them.
	domainFilter := endpoint.NewDomainFilterWithOptions(
		endpoint.WithDomainFilter(cfg.DomainFilter),
		endpoint.WithDomainExclude(cfg.DomainExclude),
		endpoint.WithRegexDomainFilter(cfg.RegexDomainFilter),
		endpoint.WithRegexDomainExclude(cfg.RegexDomainExclude),
	)
	prov, err := rfc2136.New(ctx, cfg, domainFilter)
	if err != nil {
		return fmt.Errorf("rfc2136 provider: %w", err)
	}
	reg, err := txt.New(cfg, prov)
	if err != nil {
		return fmt.Errorf("txt registry: %w", err)
	}
	policy, ok := plan.Policies[cfg.Policy]
	if !ok {
		return fmt.Errorf("unknown policy %q", cfg.Policy)
	}

	// As Controller.RunOnce (controller/controller.go) does, with the desired endpoints in place of a Source.
	current, err := reg.Records(ctx)
	if err != nil {
		return fmt.Errorf("listing records: %w", err)
	}
	ctx = context.WithValue(ctx, provider.RecordsContextKey, current)
	endpoints, err := reg.AdjustEndpoints(desired)
	if err != nil {
		return fmt.Errorf("adjusting endpoints: %w", err)
	}
	p := &plan.Plan{
		Policies:       []plan.Policy{policy},
		Current:        current,
		Desired:        endpoints,
		DomainFilter:   endpoint.MatchAllDomainFilters{domainFilter, reg.GetDomainFilter()},
		ManagedRecords: cfg.ManagedDNSRecordTypes,
		ExcludeRecords: cfg.ExcludeDNSRecordTypes,
		OwnerID:        reg.OwnerID(),
		OldOwnerID:     cfg.TXTOwnerOld,
	}
	p = p.Calculate()
	changes := p.Changes
	print("create", changes.Create)
	print("update-old", changes.UpdateOld)
	print("update-new", changes.UpdateNew)
	print("delete", changes.Delete)
	if changes.HasChanges() {
		if err := reg.ApplyChanges(ctx, changes); err != nil {
			return fmt.Errorf("applying changes: %w", err)
		}
	}

	// What the registry sees now: a second listing through the provider's AXFR.
	after, err := reg.Records(ctx)
	if err != nil {
		return fmt.Errorf("listing records after the changes: %w", err)
	}
	for _, ep := range sorted(after) {
		fmt.Printf("record %s %s %s owner=%s\n", ep.DNSName, ep.RecordType, strings.Join(ep.Targets, ","), ep.Labels[endpoint.OwnerLabelKey])
	}
	return nil
}

func print(kind string, eps []*endpoint.Endpoint) {
	for _, ep := range sorted(eps) {
		fmt.Printf("%s %s %s %s\n", kind, ep.DNSName, ep.RecordType, strings.Join(ep.Targets, ","))
	}
}

func sorted(eps []*endpoint.Endpoint) []*endpoint.Endpoint {
	out := append([]*endpoint.Endpoint(nil), eps...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].DNSName != out[j].DNSName {
			return out[i].DNSName < out[j].DNSName
		}
		return out[i].RecordType < out[j].RecordType
	})
	return out
}

func readEndpoints(path string) ([]*endpoint.Endpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var eps []*endpoint.Endpoint
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 {
			return nil, fmt.Errorf("%s:%d: want <name> <type> <ttl> <target>..., got %q", path, n, line)
		}
		ttl, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil || ttl < 0 {
			return nil, fmt.Errorf("%s:%d: bad ttl %q", path, n, fields[2])
		}
		eps = append(eps, endpoint.NewEndpointWithTTL(fields[0], fields[1], endpoint.TTL(ttl), fields[3:]...))
	}
	return eps, sc.Err()
}
