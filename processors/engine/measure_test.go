package engine

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// keptContext is a benchContext that keeps what the callback wrote.
type keptContext struct {
	*benchContext
	state  []byte
	events [][]byte
}

func (c *keptContext) SetValue(v any, _ ...goka.ContextOption) { c.state = v.([]byte) }
func (c *keptContext) Emit(s goka.Stream, _ string, v any, _ ...goka.ContextOption) {
	if string(s) == topics.Customers.Events.Name {
		c.events = append(c.events, v.([]byte))
	}
}

// The switch tools/bench measures the chain's cost with turns the chain off
// only while it holds true: the event then carries neither prevHash nor
// hash, and the snapshot no lastHash; switched back, the next event is
// sealed again (on the empty hash the unchained snapshot left), and the
// snapshot keeps its hash.
func TestTheMeasurementSwitchUnchainsEventsOnlyWhileItIsOn(t *testing.T) {
	sd, _ := testkit.Serde(t)
	var off atomic.Bool
	handle := benchCallback(sd, &off)
	now := time.Now().UTC()
	state := benchSnapshot(t, sd, 0, true, now)

	for i, unchained := range []bool{true, false} {
		off.Store(unchained)
		ctx := &keptContext{benchContext: &benchContext{ctx: context.Background(), key: benchKey, offset: int64(10 + i), value: state}}
		handle(ctx, benchCommand(t, sd, i, now))
		if len(ctx.events) != 1 || ctx.state == nil {
			t.Fatalf("unchained %v: %d events and state %v, want one event and a state", unchained, len(ctx.events), ctx.state != nil)
		}
		v, err := sd.Decode(context.Background(), serde.Position{Topic: topics.Customers.Events.Name}, ctx.events[0])
		if err != nil {
			t.Fatal(err)
		}
		ev := v.(*customers.CustomerSmsChanged)
		s, err := sd.Decode(context.Background(), serde.Position{Topic: topics.Customers.Table.Name}, ctx.state)
		if err != nil {
			t.Fatal(err)
		}
		snap := s.(*customers.CustomerSnapshot)
		if unchained {
			if ev.PrevHash != "" || ev.Hash != "" || snap.LastHash != "" {
				t.Fatalf("switched off, the event has prevHash %q, hash %q and the snapshot lastHash %q: want all empty", ev.PrevHash, ev.Hash, snap.LastHash)
			}
		} else if len(ev.Hash) != serde.HashLen || ev.PrevHash != "" || snap.LastHash != ev.Hash {
			t.Fatalf("switched back on, the event has prevHash %q (want the unchained snapshot's empty hash), hash %q and the snapshot lastHash %q (want the event's)",
				ev.PrevHash, ev.Hash, snap.LastHash)
		}
		state = ctx.state
	}
}
