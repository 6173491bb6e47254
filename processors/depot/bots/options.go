package bots

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DefaultShoppingTime is the default of WithShoppingTime.
const DefaultShoppingTime = 200 * time.Millisecond

// Option configures a Pool (New).
type Option func(*config)

type config struct {
	bots                          int      // New's arguments
	commands                      Commands //
	shoppingTime                  time.Duration
	prefix                        string
	commandTimeout                time.Duration
	retryBackoff, maxRetryBackoff time.Duration
	log                           *slog.Logger
}

// newConfig applies opts over the defaults and validates the result,
// reporting every problem at once.
func newConfig(bots int, commands Commands, opts []Option) (config, error) {
	c := config{
		bots:            bots,
		commands:        commands,
		shoppingTime:    DefaultShoppingTime,
		prefix:          "bot-",
		commandTimeout:  10 * time.Second,
		retryBackoff:    100 * time.Millisecond,
		maxRetryBackoff: 5 * time.Second,
		log:             slog.Default(),
	}
	for _, o := range opts {
		o(&c)
	}
	var errs []error
	if c.bots < 1 {
		errs = append(errs, fmt.Errorf("a bot pool needs at least one bot, got %d", c.bots))
	}
	if c.shoppingTime < 0 {
		errs = append(errs, fmt.Errorf("the bots' shopping time cannot be negative, got %s", c.shoppingTime))
	}
	if c.commands == nil {
		errs = append(errs, errors.New("a bot pool needs Commands to send its commands"))
	}
	if c.prefix == "" {
		errs = append(errs, errors.New("WithPrefix(\"\"): name the bots"))
	}
	if c.commandTimeout <= 0 {
		errs = append(errs, fmt.Errorf("WithCommandTimeout(%s): want a positive duration", c.commandTimeout))
	}
	if c.retryBackoff <= 0 || c.maxRetryBackoff < c.retryBackoff {
		errs = append(errs, fmt.Errorf("WithRetryBackoff(%s, %s): want 0 < first <= max", c.retryBackoff, c.maxRetryBackoff))
	}
	if c.log == nil {
		errs = append(errs, errors.New("WithLogger(nil): give a logger"))
	}
	return c, errors.Join(errs...)
}

// WithShoppingTime sets how long a bot shops for one list. Default
// DefaultShoppingTime (200ms).
func WithShoppingTime(d time.Duration) Option { return func(c *config) { c.shoppingTime = d } }

// WithPrefix names the bots: prefix+"1" .. prefix+N. Default "bot-". Two
// pools running at once need different prefixes, or they compete for the
// same bots (safely, but uselessly).
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithCommandTimeout bounds one attempt to get a command's result before it
// is sent again with the same id. Default 10s.
func WithCommandTimeout(d time.Duration) Option { return func(c *config) { c.commandTimeout = d } }

// WithRetryBackoff sets the pause after a failed attempt: first after the
// first failure, doubling up to max. Default 100ms to 5s.
func WithRetryBackoff(first, max time.Duration) Option {
	return func(c *config) { c.retryBackoff, c.maxRetryBackoff = first, max }
}

// WithLogger sets the logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }
