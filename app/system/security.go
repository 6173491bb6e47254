package system

import (
	"errors"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/platform/broker"
	"github.com/mallbots/mallbots/platform/kafkaauth"
)

// withSecurity completes and checks the security settings: the embedded
// broker's SASL needs credentials and defaults to SCRAM-SHA-512; SASL
// towards an embedded broker without it, or TLS towards the embedded
// broker (it listens on plaintext), cannot work.
func (c Config) withSecurity() (Config, []error) {
	var errs []error
	embedded := len(c.Brokers) == 0
	if c.KafkaSASL && !embedded {
		errs = append(errs, errors.New("--kafka-sasl configures the embedded broker; with --brokers, the brokers' own configuration decides (keep --kafka-sasl-mechanism and the credentials)"))
	}
	if c.KafkaSASL && c.Kafka.Mechanism == "" {
		c.Kafka.Mechanism = kafkaauth.ScramSHA512
	}
	if embedded && !c.KafkaSASL && c.Kafka.SASL() {
		errs = append(errs, errors.New("--kafka-sasl-mechanism is set but the embedded broker does not require SASL: add --kafka-sasl, or give --brokers"))
	}
	if embedded && c.Kafka.TLSEnabled() {
		errs = append(errs, errors.New("the embedded broker listens in plaintext on loopback: TLS options need --brokers"))
	}
	if err := c.Kafka.Validate(); err != nil {
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

// brokerOptions configure the embedded broker from the flags: SASL with
// this instance's own credentials when --kafka-sasl is on, none otherwise.
func (s *System) brokerOptions() []broker.Option {
	opts := []broker.Option{broker.WithAddr(s.cfg.KafkaAddr), broker.WithLogger(s.log)}
	if s.cfg.SyncWrites {
		opts = append(opts, broker.WithSyncWrites())
	}
	if s.cfg.KafkaSASL {
		opts = append(opts, broker.WithSASL(s.cfg.Kafka))
	}
	return opts
}
