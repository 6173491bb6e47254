package registry

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultWriteTimeout is the default of WithWriteTimeout.
const DefaultWriteTimeout = 10 * time.Second

// Option configures a Registry (Open).
type Option func(*config)

type config struct {
	kafka        []kgo.Opt // Open's arguments
	topic        string
	writeTimeout time.Duration
	writers      map[string]string // user → password; nil: anyone writes
	log          *slog.Logger
}

// newConfig applies opts over the defaults and validates the result,
// reporting every problem at once.
func newConfig(kafka []kgo.Opt, topic string, opts []Option) (config, error) {
	c := config{kafka: kafka, topic: topic, writeTimeout: DefaultWriteTimeout, log: slog.Default()}
	for _, o := range opts {
		o(&c)
	}
	var errs []error
	if c.topic == "" {
		errs = append(errs, errors.New("registry: the topic is empty: name the compacted schemas topic (normally _schemas)"))
	}
	if len(c.kafka) == 0 {
		errs = append(errs, errors.New("registry: no Kafka options: give at least kgo.SeedBrokers"))
	}
	if c.writeTimeout <= 0 {
		errs = append(errs, fmt.Errorf("registry: WithWriteTimeout(%s): want a positive duration", c.writeTimeout))
	}
	if c.log == nil {
		errs = append(errs, errors.New("registry: WithLogger(nil): give a logger"))
	}
	return c, errors.Join(errs...)
}

// WithWriteTimeout bounds how long a registration waits for the broker to
// acknowledge its record before answering HTTP 500. Default
// DefaultWriteTimeout (10s).
func WithWriteTimeout(d time.Duration) Option { return func(c *config) { c.writeTimeout = d } }

// WithLogger sets the logger of registrations, refusals and storage
// errors. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithWriters lets only these users (name → password, HTTP basic auth)
// register schemas and change the compatibility or the mode; reads,
// lookups and compatibility checks stay open to anyone who reaches the
// registry (it listens on loopback only). A write without credentials, or
// with wrong ones, is answered 401 (error_code 40101, as Confluent's
// registry with basic auth does). Default: no authentication.
func WithWriters(users map[string]string) Option {
	return func(c *config) {
		c.writers = make(map[string]string, len(users))
		for u, p := range users {
			c.writers[u] = p
		}
	}
}
