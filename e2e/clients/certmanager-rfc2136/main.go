// Command certmanager-rfc2136 runs cert-manager's own RFC 2136 DNS-01 solver (package
// github.com/cert-manager/cert-manager/pkg/issuer/acme/dns/rfc2136) once, the way cert-manager's challenge
// controller does: the challenge name is _acme-challenge.<domain>., its zone is found by walking up to the SOA
// through the configured nameserver, the issuer's rfc2136 config travels as JSON in a ChallengeRequest, and the
// solver reads the TSIG secret from a Kubernetes Secret (from the API with -kubeconfig, else from -tsig-secret).
//
//	certmanager-rfc2136 -action present|cleanup -domain example.test -value TOKEN -nameserver 127.0.0.1:5353 \
//	    -tsig-key-name acme -tsig-algorithm HMACSHA256 (-tsig-secret BASE64 | -kubeconfig F -namespace NS -secret NAME)
//
// Exit status 0 when the solver succeeded; otherwise the solver's error on stderr and status 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	whapi "github.com/cert-manager/cert-manager/pkg/acme/webhook/apis/acme/v1alpha1"
	cmacme "github.com/cert-manager/cert-manager/pkg/apis/acme/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"github.com/cert-manager/cert-manager/pkg/issuer/acme/dns/rfc2136"
	"github.com/cert-manager/cert-manager/pkg/issuer/acme/dns/util"
)

func main() {
	action := flag.String("action", "", "present or cleanup")
	domain := flag.String("domain", "", "the name the certificate is for (no _acme-challenge. prefix)")
	value := flag.String("value", "", "the challenge TXT value (the ACME key authorization digest)")
	nameserver := flag.String("nameserver", "", "the rfc2136 solver's nameserver, IP:port")
	protocol := flag.String("protocol", "", "the solver's protocol: UDP (cert-manager's default) or TCP")
	keyName := flag.String("tsig-key-name", "", "tsigKeyName")
	algorithm := flag.String("tsig-algorithm", "", "tsigAlgorithm; empty means cert-manager's default (HMACMD5)")
	secret := flag.String("tsig-secret", "", "the base64 TSIG secret, put into an in-memory Secret (without -kubeconfig)")
	kubeconfig := flag.String("kubeconfig", "", "read the TSIG Secret from this cluster, as cert-manager does")
	namespace := flag.String("namespace", "default", "the Issuer's namespace (where the Secret lives)")
	secretName := flag.String("secret", "tsig", "tsigSecretSecretRef.name")
	secretKey := flag.String("secret-key", "tsig-secret-key", "tsigSecretSecretRef.key")
	flag.Parse()
	if (*action != "present" && *action != "cleanup") || *domain == "" || *value == "" || *nameserver == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*action, *domain, *value, *nameserver, *protocol, *keyName, *algorithm, *secret, *kubeconfig,
		*namespace, *secretName, *secretKey); err != nil {
		fmt.Fprintf(os.Stderr, "certmanager-rfc2136: %s: %v\n", *action, err)
		os.Exit(1)
	}
}

func run(action, domain, value, nameserver, protocol, keyName, algorithm, secret, kubeconfig, namespace,
	secretName, secretKey string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nameservers := []string{nameserver}

	// What cert-manager's challenge controller does before it calls a DNS-01 solver (pkg/issuer/acme/dns).
	fqdn, err := util.DNS01LookupFQDN(ctx, domain, false, nameservers...)
	if err != nil {
		return err
	}
	zone, err := util.FindZoneByFqdn(ctx, fqdn, nameservers)
	if err != nil {
		return fmt.Errorf("finding the zone of %s: %w", fqdn, err)
	}
	cfg := cmacme.ACMEIssuerDNS01ProviderRFC2136{
		Nameserver:    nameserver,
		TSIGKeyName:   keyName,
		TSIGAlgorithm: algorithm,
		Protocol:      cmacme.RFC2136UpdateProtocol(protocol),
		TSIGSecret: cmmeta.SecretKeySelector{
			LocalObjectReference: cmmeta.LocalObjectReference{Name: secretName},
			Key:                  secretKey,
		},
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	req := &whapi.ChallengeRequest{
		Type:              "dns-01",
		DNSName:           domain,
		Key:               value,
		ResolvedFQDN:      fqdn,
		ResolvedZone:      zone,
		ResourceNamespace: namespace,
		Config:            &apiextensionsv1.JSON{Raw: raw},
	}

	var solver *rfc2136.Solver
	stop := make(chan struct{})
	defer close(stop)
	if kubeconfig != "" {
		restConfig, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return err
		}
		solver = rfc2136.New(rfc2136.WithNamespace(namespace))
		if err := solver.Initialize(restConfig, stop); err != nil {
			return fmt.Errorf("initializing the solver's Secret informer: %w", err)
		}
	} else {
		indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
		if err := indexer.Add(&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: namespace},
			Data:       map[string][]byte{secretKey: []byte(secret)},
		}); err != nil {
			return err
		}
		solver = rfc2136.New(rfc2136.WithSecretsLister(corelisters.NewSecretLister(indexer)))
	}

	if action == "present" {
		err = solver.Present(req)
	} else {
		err = solver.CleanUp(req)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%s ok: fqdn=%s zone=%s\n", action, fqdn, zone)
	return nil
}
