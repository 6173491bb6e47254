package gokart

import (
	"log/slog"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Runtime is goka's runtime of one process: it builds the options of every
// processor, view and emitter (ProcessorOptions, ViewOptions,
// EmitterOptions) and knows where their local stores are. New makes one.
type Runtime struct{ cfg config }

// Option configures a Runtime (New).
type Option func(*config)

type config struct {
	stateDir       string // New's argument
	flushFrequency time.Duration
	clientID       string
	sarama         func(*sarama.Config)
	kafka          []kgo.Opt
	hotStandby     bool
	sessionTimeout time.Duration
	stores         *Stores
	log            *slog.Logger
}

// New returns the runtime whose processors and views keep their local
// stores (LevelDB and the own tables' logs) under stateDir.
func New(stateDir string, opts ...Option) Runtime {
	c := config{
		stateDir:       stateDir,
		flushFrequency: time.Millisecond,
		clientID:       "mallbots",
		sessionTimeout: SessionTimeout,
		log:            slog.Default(),
	}
	for _, o := range opts {
		o(&c)
	}
	return Runtime{cfg: c}
}

// StateDir is the directory given to New.
func (c Runtime) StateDir() string { return c.cfg.stateDir }

// WithFlushFrequency sets the producers' linger. Default 1ms: goka's 100ms
// default put 100ms on every command's latency (docs/architecture.md,
// Runtime).
func WithFlushFrequency(d time.Duration) Option { return func(c *config) { c.flushFrequency = d } }

// WithClientID sets the prefix of the Kafka client ids
// (id-<group>, id-view-<name>, id-emitter). Default "mallbots".
func WithClientID(id string) Option { return func(c *config) { c.clientID = id } }

// WithSarama adjusts the sarama config of the consumers and the topic
// manager last (SASL, TLS: kafkaauth.Config.Sarama). Default: no change.
func WithSarama(adjust func(*sarama.Config)) Option { return func(c *config) { c.sarama = adjust } }

// WithKafka sets the franz-go options of the producers: the connection
// (seed brokers, TLS, SASL, as WithSarama's). The producer adds its own
// settings after them. Default none: goka's brokers, in plaintext.
func WithKafka(opts ...kgo.Opt) Option { return func(c *config) { c.kafka = opts } }

// WithHotStandby gives processors goka's WithHotStandby and
// WithRecoverAhead: every partition of the group's table is kept up to date
// locally (the unassigned ones passively) and recovered before the
// processor joins the group, so a partition taken over in a rebalance needs
// no table recovery. Default off: it costs a full copy of each table per
// instance.
func WithHotStandby() Option { return func(c *config) { c.hotStandby = true } }

// WithSessionTimeout sets the consumer groups' session timeout; heartbeats
// go every sixth of it. Default SessionTimeout, which a d of 0 or less
// keeps (app/system passes its flag through, 0 when unset).
func WithSessionTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.sessionTimeout = d
		}
	}
}

// WithStores keeps track of the stores the processors open, for Lookups
// (views' stores are not looked up). Default none; NewLookups needs it.
func WithStores(s *Stores) Option { return func(c *config) { c.stores = s } }

// WithLogger sets the logger goka's components log to, at debug level
// (slogAdapter). Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }
