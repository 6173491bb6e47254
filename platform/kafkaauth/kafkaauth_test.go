package kafkaauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/kafkaauth"
)

// cluster starts kfake with opts and returns its addresses.
func cluster(t *testing.T, opts ...kfake.Opt) []string {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(1, "t")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// kgoWorks says whether a franz-go client with cfg can produce a record.
func kgoWorks(t *testing.T, addrs []string, cfg kafkaauth.Config) error {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addrs...), kgo.RequestRetries(0)}, cfg.KgoOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("v")}).FirstErr()
}

// saramaWorks says whether a sarama client configured through cfg.Sarama
// (as goka's clients are, through gokart) can produce a record.
func saramaWorks(t *testing.T, addrs []string, cfg kafkaauth.Config) error {
	t.Helper()
	sc := sarama.NewConfig()
	sc.Version = sarama.V3_6_0_0
	sc.Net.DialTimeout = 2 * time.Second
	sc.Metadata.Retry.Max = 0
	sc.Producer.Return.Successes = true
	sc.Producer.Retry.Max = 0
	cfg.Sarama(sc)
	p, err := sarama.NewSyncProducer(addrs, sc)
	if err != nil {
		return err
	}
	defer p.Close()
	_, _, err = p.SendMessage(&sarama.ProducerMessage{Topic: "t", Value: sarama.StringEncoder("v")})
	return err
}

func TestSASLRefusesClientsWithoutCredentials(t *testing.T) {
	for _, mech := range kafkaauth.Mechanisms() {
		t.Run(mech, func(t *testing.T) {
			broker := kafkaauth.Config{Mechanism: mech, Username: "mallbots", Password: "s3cret"}
			if err := broker.Validate(); err != nil {
				t.Fatal(err)
			}
			addrs := cluster(t, broker.BrokerOpts()...)

			if err := kgoWorks(t, addrs, kafkaauth.Config{}); err == nil {
				t.Error("franz-go without credentials: accepted, want refused")
			}
			wrong := broker
			wrong.Password = "guess"
			if err := kgoWorks(t, addrs, wrong); err == nil {
				t.Error("franz-go with a wrong password: accepted, want refused")
			}
			if err := kgoWorks(t, addrs, broker); err != nil {
				t.Errorf("franz-go with the credentials: %v", err)
			}

			if err := saramaWorks(t, addrs, kafkaauth.Config{}); err == nil {
				t.Error("sarama without credentials: accepted, want refused")
			}
			if err := saramaWorks(t, addrs, wrong); err == nil {
				t.Error("sarama with a wrong password: accepted, want refused")
			}
			if err := saramaWorks(t, addrs, broker); err != nil {
				t.Errorf("sarama with the credentials: %v", err)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, serverCert := makeCA(t, dir)
	sasl := kafkaauth.Config{Mechanism: kafkaauth.ScramSHA512, Username: "mallbots", Password: "s3cret"}
	addrs := cluster(t, append(sasl.BrokerOpts(), kfake.TLS(&tls.Config{Certificates: []tls.Certificate{serverCert}}))...)

	withTLS := sasl
	withTLS.CAFile = caFile
	if err := withTLS.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := kgoWorks(t, addrs, withTLS); err != nil {
		t.Errorf("franz-go over TLS with the CA: %v", err)
	}
	if err := saramaWorks(t, addrs, withTLS); err != nil {
		t.Errorf("sarama over TLS with the CA: %v", err)
	}
	if err := kgoWorks(t, addrs, sasl); err == nil {
		t.Error("franz-go in plaintext against a TLS listener: accepted, want refused")
	}
	untrusted := sasl
	untrusted.TLS = true // the system roots do not know the test CA
	if err := kgoWorks(t, addrs, untrusted); err == nil {
		t.Error("franz-go with a CA that did not sign the broker: accepted, want refused")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := kafkaauth.Config{Mechanism: "GSSAPI", CertFile: "c.pem", CAFile: "/nonexistent/ca.pem"}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`"GSSAPI"`, "MALLBOTS_KAFKA_PASSWORD", "both the certificate and the key", "CA file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if err := (kafkaauth.Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	if (kafkaauth.Config{}).Enabled() || len((kafkaauth.Config{}).KgoOpts()) != 0 {
		t.Error("the zero config must change nothing")
	}
}

// makeCA writes a CA certificate to dir and returns its path and a server
// certificate it signed for 127.0.0.1.
func makeCA(t *testing.T, dir string) (string, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mallbots test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
}
