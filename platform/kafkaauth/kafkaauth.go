// Package kafkaauth holds how every Kafka client of MallBots authenticates
// and encrypts: SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and TLS, as one
// Config that yields franz-go options (KgoOpts), a sarama adjustment for
// goka's clients (Sarama, given to gokart.WithSarama), and the embedded
// broker's own SASL users (BrokerOpts). It reads no flags and no
// environment: cmd/mallbots fills Config, secrets from the environment or
// from files only (docs/operations.md, ## Security).
package kafkaauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The SASL mechanisms, as Kafka names them.
const (
	Plain       = "PLAIN"
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
)

// Mechanisms lists the supported SASL mechanisms.
func Mechanisms() []string { return []string{Plain, ScramSHA256, ScramSHA512} }

// Config says how to reach Kafka securely. The zero value is plaintext
// without authentication (the embedded default on loopback).
type Config struct {
	// Mechanism is the SASL mechanism (PLAIN, SCRAM-SHA-256 or
	// SCRAM-SHA-512, case-insensitive); empty means no SASL.
	Mechanism string
	// Username and Password are the SASL credentials. They must come from
	// the environment or from files, never from flags (ps shows flags).
	Username, Password string

	// TLS turns TLS on. It is implied by CAFile, CertFile or KeyFile.
	TLS bool
	// CAFile is a PEM bundle of the CAs that sign the brokers'
	// certificates; empty means the system's roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key, for brokers
	// that require TLS client authentication (mTLS). Both or neither.
	CertFile, KeyFile string
	// ServerName overrides the name the brokers' certificates are checked
	// against; empty means the host of each broker address.
	ServerName string
}

// Enabled says whether any SASL or TLS option is set.
func (c Config) Enabled() bool { return c.SASL() || c.TLSEnabled() }

// SASL says whether SASL is configured.
func (c Config) SASL() bool { return c.Mechanism != "" }

// TLSEnabled says whether TLS is on (TLS, or any TLS file given).
func (c Config) TLSEnabled() bool {
	return c.TLS || c.CAFile != "" || c.CertFile != "" || c.KeyFile != ""
}

// mechanism is the canonical mechanism name, or "" when none.
func (c Config) mechanism() string { return strings.ToUpper(strings.TrimSpace(c.Mechanism)) }

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.SASL() {
		m := c.mechanism()
		switch m {
		case Plain, ScramSHA256, ScramSHA512:
		default:
			errs = append(errs, fmt.Errorf("kafka SASL mechanism %q: choose PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.Mechanism))
		}
		if c.Username == "" || c.Password == "" {
			errs = append(errs, fmt.Errorf("kafka SASL %s needs a username and a password: set MALLBOTS_KAFKA_USERNAME and MALLBOTS_KAFKA_PASSWORD (or MALLBOTS_KAFKA_USERNAME_FILE and MALLBOTS_KAFKA_PASSWORD_FILE)", m))
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("kafka TLS client certificate: give both the certificate and the key file, or neither"))
	}
	if c.TLSEnabled() {
		if _, err := c.TLSConfig(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// TLSConfig builds the client TLS config; nil when TLS is off.
func (c Config) TLSConfig() (*tls.Config, error) {
	if !c.TLSEnabled() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka TLS CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka TLS CA file %s holds no PEM certificate", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" && c.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// mech is the franz-go SASL mechanism; nil when SASL is off.
func (c Config) mech() sasl.Mechanism {
	switch c.mechanism() {
	case Plain:
		return plain.Auth{User: c.Username, Pass: c.Password}.AsMechanism()
	case ScramSHA256:
		return scram.Auth{User: c.Username, Pass: c.Password}.AsSha256Mechanism()
	case ScramSHA512:
		return scram.Auth{User: c.Username, Pass: c.Password}.AsSha512Mechanism()
	}
	return nil
}

// KgoOpts are the franz-go options for this config (none when it is the
// zero value). Call Validate first: a TLS file that cannot be read is
// reported there.
func (c Config) KgoOpts() []kgo.Opt {
	var opts []kgo.Opt
	if m := c.mech(); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	if tc, err := c.TLSConfig(); err == nil && tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	return opts
}

// Sarama applies the config to a sarama config (goka's clients): SASL with
// the handshake, and TLS. It is a no-op for the zero value.
func (c Config) Sarama(cfg *sarama.Config) {
	if m := c.mechanism(); m != "" {
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.Handshake = true
		cfg.Net.SASL.Mechanism = sarama.SASLMechanism(m)
		cfg.Net.SASL.User = c.Username
		cfg.Net.SASL.Password = c.Password
		if m == ScramSHA256 || m == ScramSHA512 {
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{mechanism: m} }
		}
	}
	if tc, err := c.TLSConfig(); err == nil && tc != nil {
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = tc
	}
}

// scramClient adapts franz-go's SCRAM implementation to sarama's
// SCRAMClient, so that goka's clients and franz-go's share one SCRAM
// implementation (sarama ships none).
type scramClient struct {
	mechanism string
	session   sasl.Session
	first     []byte
	started   bool
	done      bool
}

func (s *scramClient) Begin(user, pass, authzID string) error {
	auth := scram.Auth{User: user, Pass: pass, Zid: authzID}
	m := auth.AsSha512Mechanism()
	if s.mechanism == ScramSHA256 {
		m = auth.AsSha256Mechanism()
	}
	session, first, err := m.Authenticate(context.Background(), "")
	if err != nil {
		return err
	}
	s.session, s.first = session, first
	return nil
}

func (s *scramClient) Step(challenge string) (string, error) {
	if !s.started {
		s.started = true
		return string(s.first), nil
	}
	done, resp, err := s.session.Challenge([]byte(challenge))
	if err != nil {
		return "", err
	}
	s.done = done
	return string(resp), nil
}

func (s *scramClient) Done() bool { return s.done }

// BrokerOpts are the kfake options that make the embedded broker require
// SASL with this config's credentials: the user is a superuser under both
// SCRAM mechanisms, and under PLAIN too when PLAIN is the mechanism asked
// for (PLAIN sends the password itself, so it is not offered otherwise).
func (c Config) BrokerOpts() []kfake.Opt {
	if !c.SASL() {
		return nil
	}
	opts := []kfake.Opt{kfake.EnableSASL(),
		kfake.Superuser(ScramSHA256, c.Username, c.Password),
		kfake.Superuser(ScramSHA512, c.Username, c.Password)}
	if c.mechanism() == Plain {
		opts = append(opts, kfake.Superuser(Plain, c.Username, c.Password))
	}
	return opts
}
