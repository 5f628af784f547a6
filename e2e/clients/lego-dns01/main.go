// Command lego-dns01 obtains one certificate with lego v5 used as a library: the DNS-01 challenge is solved by
// lego's own RFC 2136 provider (providers/dns/dnsupdate), signed with TSIG. It is the lego client of the ACME
// end-to-end test (e2e AcmeDns01Test); the lego command itself does not build from the module proxy, some provider
// SDKs are missing there.
//
// Every name resolution of the challenge goes to -nameserver (a server on a loopback port, not 53): it is lego's
// recursive nameserver, and the authoritative-NS propagation check, which would look up NS records and query them
// on port 53, is turned off.
//
// On success it writes cert.pem (the leaf), issuer.pem and key.pem into -out and exits 0; on failure it prints the
// error and exits 1.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/challenge/dns01"
	"github.com/go-acme/lego/v5/lego"
	"github.com/go-acme/lego/v5/providers/dns/dnsupdate"
	"github.com/go-acme/lego/v5/registration"
)

type user struct {
	email string
	reg   *acme.ExtendedAccount
	key   crypto.Signer
}

func (u *user) GetEmail() string                       { return u.email }
func (u *user) GetRegistration() *acme.ExtendedAccount { return u.reg }
func (u *user) GetPrivateKey() crypto.Signer           { return u.key }

func main() {
	dir := flag.String("server", "", "ACME directory URL (pebble's https://127.0.0.1:PORT/dir)")
	nameserver := flag.String("nameserver", "", "DNS server host:port that takes the UPDATEs and answers the checks")
	tsigKey := flag.String("tsig-key", "", "TSIG key name")
	tsigSecret := flag.String("tsig-secret", "", "TSIG secret, base64")
	tsigAlgorithm := flag.String("tsig-algorithm", "hmac-sha256.", "TSIG algorithm")
	domains := flag.String("domains", "", "comma-separated names for the certificate, e.g. example.test,*.example.test")
	email := flag.String("email", "acme@example.test", "account contact")
	out := flag.String("out", "", "directory for cert.pem, issuer.pem and key.pem")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	if *dir == "" || *nameserver == "" || *domains == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*dir, *nameserver, *tsigKey, *tsigSecret, *tsigAlgorithm, strings.Split(*domains, ","), *email, *out,
		*timeout); err != nil {
		fmt.Fprintln(os.Stderr, "lego-dns01:", err)
		os.Exit(1)
	}
}

func run(dir, nameserver, tsigKey, tsigSecret, tsigAlgorithm string, domains []string, email, out string,
	timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	// The zone lookup (SOA walk), CNAME check and propagation check all ask this server.
	dns01.SetDefaultClient(dns01.NewClient(&dns01.Options{RecursiveNameservers: []string{nameserver},
		Timeout: 5 * time.Second}))

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	u := &user{email: email, key: key}
	config := lego.NewConfig(u) // trusts LEGO_CA_CERTIFICATES (pebble's test CA)
	config.CADirURL = dir
	client, err := lego.NewClient(config)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}

	pc := dnsupdate.NewDefaultConfig()
	pc.Nameserver = nameserver
	pc.TSIGKey = tsigKey
	pc.TSIGSecret = tsigSecret
	pc.TSIGAlgorithm = tsigAlgorithm
	pc.TTL = 60
	pc.PropagationTimeout = 30 * time.Second
	pc.PollingInterval = 500 * time.Millisecond
	// The provider solves one authorization after the other; the default pause between them is a minute.
	pc.SequenceInterval = time.Second
	provider, err := dnsupdate.NewDNSProviderConfig(pc)
	if err != nil {
		return err
	}
	if err := client.Challenge.SetDNS01Provider(provider,
		dns01.DisableAuthoritativeNssPropagationRequirement()); err != nil {
		return err
	}

	reg, err := client.Registration.Register(ctx, registration.RegisterOptions{TermsOfServiceAgreed: true})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	u.reg = reg

	res, err := client.Certificate.Obtain(ctx, certificate.ObtainRequest{Domains: domains, KeyType: certcrypto.EC256})
	if err != nil {
		return fmt.Errorf("obtain: %w", err)
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		"cert.pem": res.Certificate, "issuer.pem": res.IssuerCertificate, "key.pem": res.PrivateKey,
	} {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o600); err != nil {
			return err
		}
	}
	fmt.Printf("lego-dns01: issued %s for %s\n", res.CertURL, strings.Join(domains, ","))
	return nil
}
