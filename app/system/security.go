package system

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/platform/broker"
	"github.com/mallbots/mallbots/platform/kafkaauth"
)

// withSecurity completes and checks the security settings. The embedded
// broker requires SASL/SCRAM-SHA-512 and enforces ACLs unless
// InsecureKafkaNoAuth; its credentials are its own, so neither a single
// username nor a credentials directory applies to it; TLS towards it
// cannot work (it listens in plaintext on loopback).
func (c Config) withSecurity() (Config, []error) {
	var errs []error
	embedded := len(c.Brokers) == 0
	perPrincipal := (embedded && !c.InsecureKafkaNoAuth) || c.KafkaCredentialsDir != ""
	switch {
	case !embedded && c.InsecureKafkaNoAuth:
		errs = append(errs, errors.New("--insecure-kafka-no-auth configures the embedded broker; with --brokers, the brokers' own configuration decides"))
	case embedded && c.KafkaCredentialsDir != "":
		errs = append(errs, errors.New("--kafka-credentials-dir is for --brokers: the embedded broker generates its principals' credentials in <data>/credentials/kafka"))
	case embedded && c.InsecureKafkaNoAuth && c.Kafka.SASL():
		errs = append(errs, errors.New("--kafka-sasl-mechanism is set but --insecure-kafka-no-auth runs the embedded broker without SASL"))
	case embedded && !c.InsecureKafkaNoAuth && c.Kafka.SASL() && !strings.EqualFold(c.Kafka.Mechanism, kafkaauth.ScramSHA512):
		errs = append(errs, fmt.Errorf("the embedded broker authenticates with %s only (--kafka-sasl-mechanism %s)", kafkaauth.ScramSHA512, c.Kafka.Mechanism))
	case perPrincipal && c.Kafka.Username != "":
		errs = append(errs, errors.New("MALLBOTS_KAFKA_USERNAME is set, but each component authenticates as its own principal here (the embedded broker, or --kafka-credentials-dir): unset it"))
	}
	if embedded && c.EmbeddedBrokers <= 1 && (c.ReplicationFactor > 1 || c.MinInsyncReplicas > 1) {
		errs = append(errs, fmt.Errorf("the embedded broker is a single broker: --replication-factor %d and --min-insync-replicas %d need --brokers (a cluster)", c.ReplicationFactor, c.MinInsyncReplicas))
	}
	if embedded && c.Kafka.TLSEnabled() {
		errs = append(errs, errors.New("the embedded broker listens in plaintext on loopback: TLS options need --brokers"))
	}
	if perPrincipal && c.Kafka.Mechanism == "" {
		c.Kafka.Mechanism = kafkaauth.ScramSHA512
	}
	check := c.Kafka
	if perPrincipal { // the principals' own credentials are checked when loaded
		check.Username, check.Password = "principal", "from-its-file"
	}
	if err := check.Validate(); err != nil {
		errs = append(errs, err)
	}
	if (c.RegistryUser == "") != (c.RegistryPassword == "") {
		errs = append(errs, errors.New("schema registry basic auth needs both MALLBOTS_SCHEMA_REGISTRY_USERNAME and MALLBOTS_SCHEMA_REGISTRY_PASSWORD (or their _FILE twins)"))
	}
	if c.InstanceID == "" {
		c.InstanceID, _ = os.Hostname()
	}
	c.InstanceID = clientIDSafe(c.InstanceID)
	return c, errs
}

// registryOpts are the schema registry client's options.
func (c Config) registryOpts(url string) []sr.ClientOpt {
	opts := []sr.ClientOpt{sr.URLs(url)}
	if c.RegistryUser != "" {
		opts = append(opts, sr.BasicAuth(c.RegistryUser, c.RegistryPassword))
	}
	return opts
}

// clientIDSafe keeps the characters Kafka allows in a client id.
func clientIDSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '-'
	}, s)
}

// brokerOptions configure the embedded broker from the flags: SASL and
// the catalogue's ACLs with the principals' credentials, unless
// --insecure-kafka-no-auth.
func (s *System) brokerOptions() ([]broker.Option, error) {
	opts := []broker.Option{broker.WithAddr(s.cfg.KafkaAddr), broker.WithBrokers(s.cfg.EmbeddedBrokers), broker.WithLogger(s.log)}
	if s.cfg.SyncWrites {
		opts = append(opts, broker.WithSyncWrites())
	}
	if s.creds != nil {
		o, err := s.brokerPrincipals()
		if err != nil {
			return nil, err
		}
		opts = append(opts, o)
	}
	return opts, nil
}
