package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/platform/kafkaauth"
	"github.com/mallbots/mallbots/topics"
)

// Secrets come from the environment or from files, never from flags: the
// command line of a process is visible to every user of the machine (ps,
// /proc/*/cmdline). Each secret NAME is read from $NAME, or from the file
// $NAME_FILE names (Docker and Kubernetes secrets are files); a trailing
// newline in the file is not part of the secret.
const (
	envKafkaUser        = "MALLBOTS_KAFKA_USERNAME"
	envKafkaPassword    = "MALLBOTS_KAFKA_PASSWORD"
	envRegistryUser     = "MALLBOTS_SCHEMA_REGISTRY_USERNAME"
	envRegistryPassword = "MALLBOTS_SCHEMA_REGISTRY_PASSWORD"
	envClickHouseUser   = "MALLBOTS_CLICKHOUSE_USER"
	envClickHousePass   = "MALLBOTS_CLICKHOUSE_PASSWORD"
)

// secretNames lists every secret the binary reads (the deployment tests
// check that none is given on a command line).
var secretNames = []string{envKafkaUser, envKafkaPassword, envRegistryUser, envRegistryPassword, envClickHouseUser, envClickHousePass, envAPIToken}

// secret reads NAME from the environment or from the file NAME_FILE; both
// set is an error (which one was meant?).
func secret(name string) (string, error) {
	v, file := os.Getenv(name), os.Getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("both %s and %s_FILE are set: keep one", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return v, nil
}

// secrets reads several secrets, reporting every problem.
func secrets(names ...string) ([]string, error) {
	out := make([]string, len(names))
	var errs []error
	for i, n := range names {
		v, err := secret(n)
		out[i] = v
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// kafkaSecurity are the Kafka security flags of every command that talks
// to Kafka; the credentials come from MALLBOTS_KAFKA_USERNAME and
// MALLBOTS_KAFKA_PASSWORD (or their _FILE twins).
type kafkaSecurity struct {
	KafkaSASLMechanism  string `name:"kafka-sasl-mechanism" help:"SASL mechanism towards Kafka: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: no SASL). Credentials from MALLBOTS_KAFKA_USERNAME and MALLBOTS_KAFKA_PASSWORD, or MALLBOTS_KAFKA_USERNAME_FILE and MALLBOTS_KAFKA_PASSWORD_FILE." env:"MALLBOTS_KAFKA_SASL_MECHANISM"`
	KafkaTLS            bool   `name:"kafka-tls" help:"Connect to Kafka over TLS (implied by the TLS file flags)." env:"MALLBOTS_KAFKA_TLS"`
	KafkaTLSCAFile      string `name:"kafka-tls-ca-file" help:"PEM file of the CAs that sign the brokers' certificates (default: the system's roots)." env:"MALLBOTS_KAFKA_TLS_CA_FILE"`
	KafkaTLSCertFile    string `name:"kafka-tls-cert-file" help:"PEM client certificate, for brokers that require TLS client authentication." env:"MALLBOTS_KAFKA_TLS_CERT_FILE"`
	KafkaTLSKeyFile     string `name:"kafka-tls-key-file" help:"PEM key of the client certificate." env:"MALLBOTS_KAFKA_TLS_KEY_FILE"`
	KafkaCredentialsDir string `name:"kafka-credentials-dir" help:"Directory with a file per principal (named after its user, mallbots-<role>) holding its password: each component, and each tool, authenticates as its own principal (SCRAM-SHA-512 unless --kafka-sasl-mechanism says). The embedded broker writes one at <data-dir>/credentials/kafka." env:"MALLBOTS_KAFKA_CREDENTIALS_DIR"`
	KafkaTLSServerName  string `name:"kafka-tls-server-name" help:"Name to check the brokers' certificates against (default: each broker's host)." env:"MALLBOTS_KAFKA_TLS_SERVER_NAME"`
}

// config builds the Kafka security config with the credentials, checked.
func (k kafkaSecurity) config() (kafkaauth.Config, error) {
	cfg := kafkaauth.Config{
		Mechanism: k.KafkaSASLMechanism, TLS: k.KafkaTLS, CAFile: k.KafkaTLSCAFile,
		CertFile: k.KafkaTLSCertFile, KeyFile: k.KafkaTLSKeyFile, ServerName: k.KafkaTLSServerName,
	}
	creds, err := secrets(envKafkaUser, envKafkaPassword)
	if err != nil {
		return cfg, err
	}
	cfg.Username, cfg.Password = creds[0], creds[1]
	return cfg, nil
}

// kgoOpts are the franz-go options to reach brokers with these settings,
// as the principal of role when --kafka-credentials-dir is given.
func (k kafkaSecurity) kgoOpts(brokers []string, role string) ([]kgo.Opt, error) {
	cfg, err := k.config()
	if err != nil {
		return nil, err
	}
	if k.KafkaCredentialsDir != "" {
		if cfg.Username != "" {
			return nil, errors.New("--kafka-credentials-dir and MALLBOTS_KAFKA_USERNAME: choose one")
		}
		creds, err := kafkaauth.LoadCredentials(k.KafkaCredentialsDir)
		if err != nil {
			return nil, fmt.Errorf("%w (check --kafka-credentials-dir)", err)
		}
		if cfg, err = creds.As(cfg, topics.PrincipalName(role)); err != nil {
			return nil, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, cfg.KgoOpts()...), nil
}

// registryClient is a schema registry client with the basic-auth
// credentials of MALLBOTS_SCHEMA_REGISTRY_USERNAME and _PASSWORD, if set.
func registryClient(url string) (*sr.Client, error) {
	creds, err := secrets(envRegistryUser, envRegistryPassword)
	if err != nil {
		return nil, err
	}
	opts := []sr.ClientOpt{sr.URLs(url)}
	if creds[0] != "" || creds[1] != "" {
		opts = append(opts, sr.BasicAuth(creds[0], creds[1]))
	}
	return sr.NewClient(opts...)
}

// clickHouseCredentials are MALLBOTS_CLICKHOUSE_USER and _PASSWORD (or
// their _FILE twins); the user defaults to def.
func clickHouseCredentials(def string) (user, password string, err error) {
	creds, err := secrets(envClickHouseUser, envClickHousePass)
	if creds[0] == "" {
		creds[0] = def
	}
	return creds[0], creds[1], err
}
