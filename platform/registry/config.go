package registry

import (
	"errors"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultWriteTimeout is the default of Config.WriteTimeout.
const DefaultWriteTimeout = 10 * time.Second

// Config says where the registry keeps its schemas.
type Config struct {
	// Kafka are the options that reach the broker (kgo.SeedBrokers at
	// least, plus TLS or SASL if the broker needs them). The registry adds
	// its own producer and consumer settings after these, so options that
	// decide acks, idempotence, partitioning or what to consume are
	// overridden.
	Kafka []kgo.Opt
	// Topic holds one record per schema version. It must exist already,
	// with one partition and cleanup.policy=compact (a delete policy would
	// let retention forget schemas that events still carry the ids of).
	// Required; normally "_schemas".
	Topic string
	// WriteTimeout bounds how long a registration waits for the broker to
	// acknowledge its record before answering HTTP 500. Default
	// DefaultWriteTimeout (10s).
	WriteTimeout time.Duration
	// Log receives registrations, refusals and storage errors. Default:
	// slog.Default().
	Log *slog.Logger
}

// withDefaults validates c, reporting every problem at once, and fills in
// the defaults.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Topic == "" {
		errs = append(errs, errors.New("registry: Config.Topic is empty: name the compacted schemas topic (normally _schemas)"))
	}
	if len(c.Kafka) == 0 {
		errs = append(errs, errors.New("registry: Config.Kafka is empty: give at least kgo.SeedBrokers"))
	}
	if c.WriteTimeout < 0 {
		errs = append(errs, errors.New("registry: Config.WriteTimeout is negative"))
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c, errors.Join(errs...)
}
