package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// The aggregate callback's cost per command, without goka or a broker: the
// middleware chain (chain.go), decode
// the command, decode the snapshot, Execute, encode the events, the
// snapshot and the result. The window of recent commands is the snapshot's
// variable part (docs/adr/0004), so the state is given with 0, 16 (what
// every aggregate with 16 commands or more carries) and 128 (the most)
// entries.
//
// Each size runs chained (production: every event sealed, the window's
// events and the snapshot carrying their hashes), unchained
// (WithChainSwitchForMeasurement), and interleaved: blocks of commands of
// each in turn, timed apart, which is how the chain's cost (docs/adr/0021)
// is measured on a machine whose load changes faster than -count repeats
// a sub-benchmark (each repetition runs right after the one before, so
// chained and unchained ones would be seconds apart). Run:
//
//	go test ./processors/engine -run '^$' -bench . -benchmem
//	go test ./processors/engine -run '^$' -bench 'Handle/.*/interleaved' -count 5

// benchRules mirror the Customer aggregate's (processors/customers imports
// this package, so its rules cannot be used here).
var benchRules = aggregate.Rules[customers.Customer, customers.CustomerCommand, customers.CustomerEvent]{
	Type: "customer",
	Decide: func(c *customers.Customer, cmd customers.CustomerCommand, _ aggregate.Facts) ([]customers.CustomerEvent, error) {
		switch cmd := cmd.(type) {
		case *customers.RegisterCustomer:
			return []customers.CustomerEvent{&customers.CustomerRegistered{Name: cmd.Name, SMSNumber: cmd.SMSNumber}}, nil
		case *customers.ChangeSmsNumber:
			return []customers.CustomerEvent{&customers.CustomerSmsChanged{SMSNumber: cmd.SMSNumber}}, nil
		}
		return nil, fmt.Errorf("unexpected %T", cmd)
	},
	Evolve: func(c customers.Customer, ev customers.CustomerEvent) (customers.Customer, error) {
		switch e := ev.(type) {
		case *customers.CustomerRegistered:
			return customers.Customer{ID: e.AggregateID, Name: e.Name, SMSNumber: e.SMSNumber, Enabled: true}, nil
		case *customers.CustomerSmsChanged:
			c.SMSNumber = e.SMSNumber
			return c, nil
		}
		return c, fmt.Errorf("unexpected %T", ev)
	},
}

const benchKey = "8f0c3a52-6b1d-4c0e-9a5e-2f6d1b7c9e01"

func BenchmarkHandle(b *testing.B) {
	sd, _ := testkit.Serde(b)
	var unchained atomic.Bool
	handle := benchCallback(sd, &unchained)
	now := time.Now().UTC()
	cmds := make([][]byte, 1024)
	for i := range cmds {
		cmds[i] = benchCommand(b, sd, i, now)
	}
	// run handles commands from..to-1 on state, chained or not.
	run := func(ctx *benchContext, state []byte, chained bool, from, to int) {
		unchained.Store(!chained)
		ctx.value = state
		for i := from; i < to; i++ {
			ctx.offset = int64(1000 + i)
			handle(ctx, cmds[i%len(cmds)])
		}
	}
	for _, recent := range []int{0, 16, 128} {
		b.Run(fmt.Sprintf("recent=%d", recent), func(b *testing.B) {
			states := map[bool][]byte{true: benchSnapshot(b, sd, recent, true, now), false: benchSnapshot(b, sd, recent, false, now)}
			for _, chained := range []bool{true, false} {
				b.Run(variantName(chained), func(b *testing.B) {
					ctx := &benchContext{ctx: context.Background(), key: benchKey}
					b.SetBytes(int64(len(states[chained])))
					b.ReportAllocs()
					b.ResetTimer()
					run(ctx, states[chained], chained, 0, b.N)
					b.StopTimer()
					ctx.check(b, b.N)
				})
			}
			b.Run("interleaved", func(b *testing.B) {
				// Blocks of a few milliseconds: long enough that reading the
				// clocks costs nothing, short enough that a change of the
				// machine's load falls on both variants.
				const block = 128
				ctx := &benchContext{ctx: context.Background(), key: benchKey}
				var wall, cpu [2]time.Duration // [0] unchained, [1] chained
				var n [2]int
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i += block {
					v := (i / block) % 2
					to := min(i+block, b.N)
					t0, c0 := time.Now(), processCPU()
					run(ctx, states[v == 1], v == 1, i, to)
					wall[v] += time.Since(t0)
					cpu[v] += processCPU() - c0
					n[v] += to - i
				}
				b.StopTimer()
				ctx.check(b, b.N)
				if n[0] == 0 || n[1] == 0 {
					return
				}
				per := func(d time.Duration, n int) float64 { return float64(d.Nanoseconds()) / float64(n) }
				b.ReportMetric(per(wall[1], n[1]), "chained-ns/cmd")
				b.ReportMetric(per(wall[0], n[0]), "unchained-ns/cmd")
				b.ReportMetric(per(cpu[1], n[1]), "chained-cpu-ns/cmd")
				b.ReportMetric(per(cpu[0], n[0]), "unchained-cpu-ns/cmd")
				// Commands per second chained over unchained, by CPU time:
				// the ratio (≥ 0.95) for the callback alone.
				b.ReportMetric(per(cpu[0], n[0])/per(cpu[1], n[1]), "chained/unchained")
			})
		})
	}
}

// benchCallback is the customers group's callback on benchRules, the
// whole chain as goka calls it: trace, observe, route, decode, handle. It
// seals no event while unchained holds true (WithChainSwitchForMeasurement).
func benchCallback(sd *serde.Serde, unchained *atomic.Bool) goka.ProcessCallback {
	rt := New(sd, WithLog(slog.New(slog.NewTextHandler(io.Discard, nil))), WithPartitions(func(topics.Topic) int32 { return 1 }),
		WithChainSwitchForMeasurement(unchained))
	h := &handler[customers.Customer, customers.CustomerCommand, customers.CustomerEvent]{names: topics.Customers, rules: benchRules, rt: rt}
	return rt.callback(topics.Customers.Group, "aggregate_id", h.handle, []Step{h.route})
}

func variantName(chained bool) string {
	if chained {
		return "chained"
	}
	return "unchained"
}

// processCPU is the CPU time the process has used, user and system; the
// garbage collector's work included.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchCommand is the i-th ChangeSmsNumber of benchKey.
func benchCommand(tb testing.TB, sd *serde.Serde, i int, now time.Time) []byte {
	meta := schemas.CommandMeta{CommandID: fmt.Sprintf("c0000000-0000-4000-8000-%012d", i), AggregateID: benchKey, IssuedAt: now}
	raw, err := sd.Encode(topics.Customers.Commands.Name, &customers.ChangeSmsNumber{CommandMeta: meta, SMSNumber: fmt.Sprintf("%012d", i)})
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// benchSnapshot is benchKey's encoded snapshot with recent entries in its
// window, each holding its event. Chained, the events are sealed and the
// snapshot keeps the last hash (the registration's when the window is
// empty), as the engine writes them; unchained, neither carries a hash.
func benchSnapshot(tb testing.TB, sd *serde.Serde, recent int, chained bool, now time.Time) []byte {
	encode := func(ev schemas.Event, prev string) ([]byte, string) {
		if !chained {
			raw, err := sd.Encode(topics.Customers.Events.Name, ev)
			if err != nil {
				tb.Fatal(err)
			}
			return raw, ""
		}
		raw, sum, err := sd.Seal(topics.Customers.Events.Name, ev, prev, serde.Chain{})
		if err != nil {
			tb.Fatal(err)
		}
		return raw, sum
	}
	snap := &customers.CustomerSnapshot{AggregateID: benchKey, Version: int64(recent + 1), LastOffset: int64(recent), UpdatedAt: now,
		State: customers.Customer{ID: benchKey, Name: "John Smith", SMSNumber: "555-0100", Enabled: true}}
	_, prev := encode(&customers.CustomerRegistered{Name: "John Smith", SMSNumber: "555-0100", EventMeta: schemas.EventMeta{
		EventID: schemas.EventID("r", 0), AggregateID: benchKey, AggregateVersion: 1, OccurredAt: now, CommandID: "r", CausationID: "r", CorrelationID: "r"}}, "")
	for i := range recent {
		id := fmt.Sprintf("d0000000-0000-4000-8000-%012d", i)
		var ev []byte
		ev, prev = encode(&customers.CustomerSmsChanged{SMSNumber: "555-0100", EventMeta: schemas.EventMeta{
			EventID: schemas.EventID(id, 0), AggregateID: benchKey, AggregateVersion: int64(i + 2), OccurredAt: now, CommandID: id, CausationID: id, CorrelationID: id}}, prev)
		snap.Recent = append(snap.Recent, schemas.Applied{CommandID: id, Offset: int64(i), Version: int64(i + 2), ProcessedAt: now, Events: [][]byte{ev}})
	}
	snap.LastHash = prev
	raw, err := sd.Encode(topics.Customers.Table.Name, snap)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// check fails b unless the callback wrote one state, one event and one
// result for each of n commands.
func (c *benchContext) check(b *testing.B, n int) {
	if c.set != n || c.emitted != 2*n {
		b.Fatalf("%d state writes and %d emits for %d commands: want one write, one event and one result each", c.set, c.emitted, n)
	}
}

// benchContext is the least goka.Context the callback needs: one key, a
// fixed stored value (so the window keeps its size), counted writes.
type benchContext struct {
	ctx     context.Context
	key     string
	offset  int64
	value   any
	set     int
	emitted int
}

func (c *benchContext) Topic() goka.Stream                  { return goka.Stream(topics.Customers.Commands.Name) }
func (c *benchContext) Key() string                         { return c.key }
func (c *benchContext) Partition() int32                    { return 0 }
func (c *benchContext) Offset() int64                       { return c.offset }
func (c *benchContext) Group() goka.Group                   { return goka.Group(topics.Customers.Group) }
func (c *benchContext) Value() any                          { return c.value }
func (c *benchContext) Headers() goka.Headers               { return nil }
func (c *benchContext) SetValue(any, ...goka.ContextOption) { c.set++ }
func (c *benchContext) Delete(...goka.ContextOption)        {}
func (c *benchContext) Timestamp() time.Time                { return time.Now() }
func (c *benchContext) Join(goka.Table) any                 { return nil }
func (c *benchContext) Lookup(goka.Table, string) any       { return nil }
func (c *benchContext) Emit(goka.Stream, string, any, ...goka.ContextOption) {
	c.emitted++
}
func (c *benchContext) Loopback(string, any, ...goka.ContextOption) {}
func (c *benchContext) Fail(err error)                              { panic(err) }
func (c *benchContext) Context() context.Context                    { return c.ctx }
func (c *benchContext) DeferCommit() func(error)                    { return func(error) {} }
