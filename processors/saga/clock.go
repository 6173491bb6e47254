package saga

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/storage"

	sagas "github.com/mallbots/mallbots/schemas/saga"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// The clock gives the saga time. Goka has no timers, and a callback can
// only touch the key it is called for, so the clock lives outside the
// group: it follows the saga table through a goka view, keeps the pending
// deadlines in memory (updated from the view's update callback, so nothing
// is ever scanned), and when a deadline passes it emits StepTimedOut to
// mallbots.saga.replies keyed by the order. The saga treats a timeout for
// the step in flight as a failed reply and ignores any other. Several
// clocks (instances) may emit the same timeout: that is harmless. See
// docs/adr/0007.
type Clock struct {
	view    *goka.View
	emitter *goka.Emitter
	sd      *serde.Serde
	log     *slog.Logger
	tick    time.Duration

	mu      sync.Mutex
	pending map[string]pendingStep // by order id
	quiet   bool
}

// Quiet stops the clock from emitting timeouts: it only serves reads.
// Call before Run. NewReader builds a clock that is quiet from the start
// and holds no emitter.
func (c *Clock) Quiet() { c.quiet = true }

type pendingStep struct {
	commandID, step string
	deadline        time.Time
	emitted         time.Time
}

// resend is how long the clock waits before emitting the same timeout
// again (the first may have been lost with a crash).
const resend = 5 * time.Second

// NewClock follows the saga table with a view built from viewOpts and
// emits timeouts with an emitter built from emitterOpts.
func NewClock(brokers []string, sd *serde.Serde, log *slog.Logger, viewOpts []goka.ViewOption, emitterOpts []goka.EmitterOption) (*Clock, error) {
	c, err := NewReader(brokers, sd, log, viewOpts)
	if err != nil {
		return nil, err
	}
	e, err := goka.NewEmitter(brokers, goka.Stream(topics.SagaReplies.Name), new(codec.Bytes), emitterOpts...)
	if err != nil {
		return nil, fmt.Errorf("emitter for %s: %w", topics.SagaReplies.Name, err)
	}
	c.emitter, c.quiet = e, false
	return c, nil
}

// NewReader is a quiet clock (Quiet): it follows the saga table to serve
// reads and has no emitter, so it needs no right to write the saga's
// replies (the API's principal has none: docs/adr/0020).
func NewReader(brokers []string, sd *serde.Serde, log *slog.Logger, viewOpts []goka.ViewOption) (*Clock, error) {
	c := &Clock{sd: sd, log: log, tick: 200 * time.Millisecond, pending: map[string]pendingStep{}, quiet: true}
	opts := append(append([]goka.ViewOption(nil), viewOpts...), goka.WithViewCallback(c.update))
	v, err := goka.NewView(brokers, goka.Table(topics.SagaTable.Name), new(codec.Bytes), opts...)
	if err != nil {
		return nil, fmt.Errorf("view of %s: %w", topics.SagaTable.Name, err)
	}
	c.view = v
	return c, nil
}

// Recovered says whether the clock has caught up with the saga table.
func (c *Clock) Recovered() bool { return c.view.Recovered() }

// Stats are goka's figures for the clock's view of the saga table.
func (c *Clock) Stats(ctx context.Context) *goka.ViewStats { return c.view.Stats(ctx) }

// Get reads the saga of an order (nil when there is none).
func (c *Clock) Get(ctx context.Context, orderID string) (*sagas.CreateOrderSaga, error) {
	raw, err := c.view.Get(orderID)
	if err != nil {
		return nil, err
	}
	b, _ := raw.([]byte)
	if b == nil {
		return nil, nil
	}
	v, err := c.sd.Decode(ctx, serde.Position{Topic: topics.SagaTable.Name, Offset: -1}, b)
	if err != nil {
		return nil, err
	}
	s, ok := v.(*sagas.CreateOrderSaga)
	if !ok {
		return nil, fmt.Errorf("the saga table holds a %T for %s", v, orderID)
	}
	return s, nil
}

// update stores a table record like goka's default and indexes it.
func (c *Clock) update(ctx goka.UpdateContext, s storage.Storage, key string, value []byte) error {
	if err := goka.DefaultUpdate(ctx, s, key, value); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if value == nil {
		delete(c.pending, key)
		return nil
	}
	v, err := c.sd.Decode(context.Background(), serde.Position{Topic: string(ctx.Topic()), Partition: ctx.Partition(), Offset: ctx.Offset()}, value)
	if err != nil {
		c.log.Error("the saga clock cannot read a saga; its timeout will not fire",
			"topic", ctx.Topic(), "partition", ctx.Partition(), "offset", ctx.Offset(), "order_id", key, "err", err)
		return nil
	}
	saga, _ := v.(*sagas.CreateOrderSaga)
	if saga == nil || saga.PendingCommandID == "" {
		delete(c.pending, key)
		return nil
	}
	// The same step with the same deadline keeps when its timeout was last
	// emitted; a step sent again (a retry keeps its command id) has a new
	// deadline and starts over.
	if p, ok := c.pending[key]; ok && p.commandID == saga.PendingCommandID && p.deadline.Equal(saga.Deadline) {
		return nil
	}
	c.pending[key] = pendingStep{commandID: saga.PendingCommandID, step: saga.Step, deadline: saga.Deadline}
	return nil
}

// Run follows the table and fires timeouts until ctx ends.
func (c *Clock) Run(ctx context.Context) error {
	errs := make(chan error, 1)
	go func() { errs <- c.view.Run(ctx) }()
	t := time.NewTicker(c.tick)
	defer t.Stop()
	if c.emitter != nil {
		defer c.emitter.Finish()
	}
	for {
		select {
		case <-ctx.Done():
			return <-errs
		case err := <-errs:
			return err
		case now := <-t.C:
			if c.view.Recovered() && !c.quiet {
				c.fire(now)
			}
		}
	}
}

// fire emits a timeout for every step past its deadline.
func (c *Clock) fire(now time.Time) {
	c.mu.Lock()
	var due []sagas.StepTimedOut
	for orderID, p := range c.pending {
		if now.After(p.deadline) && now.Sub(p.emitted) > resend {
			due = append(due, sagas.StepTimedOut{OrderID: orderID, CommandID: p.commandID, Step: p.step, At: now.UTC()})
			p.emitted = now
			c.pending[orderID] = p
		}
	}
	c.mu.Unlock()
	for _, t := range due {
		b, err := c.sd.Encode(topics.SagaReplies.Name, &t)
		if err != nil {
			c.log.Error("encode a saga timeout", "err", err)
			continue
		}
		if _, err := c.emitter.Emit(t.OrderID, b); err != nil {
			c.log.Warn("emit a saga timeout; retrying later", "order_id", t.OrderID, "err", err)
			continue
		}
		c.log.Info("saga step timed out", "order_id", t.OrderID, "step", t.Step)
	}
}
