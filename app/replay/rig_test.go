package replay

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/testkit"
	procordering "github.com/mallbots/mallbots/processors/ordering"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// rig is an in-process broker (kfake) with the catalogue's topics, a Log
// on it, and a way to put synthetic events and snapshots of orders there.
type rig struct {
	t   *testing.T
	ctx context.Context
	log *Log
	sd  *serde.Serde
	cl  *kgo.Client
	adm *kadm.Client
	opt []kgo.Opt
}

func newRig(t *testing.T) *rig {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	opt := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}
	cl, err := kgo.NewClient(append(opt, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	if _, err := admin.Apply(ctx, adm, topics.All()); err != nil {
		t.Fatal(err)
	}
	sd, _ := testkit.Serde(t)
	l, err := New(sd, opt...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return &rig{t: t, ctx: ctx, log: l, sd: sd, cl: cl, adm: adm, opt: opt}
}

// as makes an event of the synthetic order o1 (stream_test.go) one of
// order id: its aggregate id, and event and command ids prefixed by id.
func as(id string, ev schemas.Event) schemas.Event {
	m := ev.EventMetadata()
	m.AggregateID, m.EventID, m.CommandID = id, id+"/"+m.EventID, id+"/"+m.CommandID
	return ev
}

// produce writes records and waits for them.
func (r *rig) produce(recs ...*kgo.Record) {
	r.t.Helper()
	if err := r.cl.ProduceSync(r.ctx, recs...).FirstErr(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) encode(topic string, v any) []byte {
	r.t.Helper()
	b, err := r.sd.Encode(topic, v)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// events logs order events on their aggregate's partition, keyed by it.
func (r *rig) events(evs ...schemas.Event) {
	r.t.Helper()
	for _, ev := range evs {
		id := ev.EventMetadata().AggregateID
		r.eventOn(ev, id, topics.PartitionFor(id, topics.Orders.Events.Partitions))
	}
}

// eventOn logs an event with any key on any partition.
func (r *rig) eventOn(ev schemas.Event, key string, partition int32) {
	r.t.Helper()
	r.produce(&kgo.Record{Topic: topics.Orders.Events.Name, Partition: partition, Key: []byte(key), Value: r.encode(topics.Orders.Events.Name, ev)})
}

// snapshot writes an order snapshot onto the live orders table.
func (r *rig) snapshot(s *ordering.OrderSnapshot) {
	r.t.Helper()
	name := topics.Orders.Table.Name
	r.produce(&kgo.Record{Topic: name, Partition: topics.PartitionFor(s.AggregateID, topics.Orders.Table.Partitions), Key: []byte(s.AggregateID), Value: r.encode(name, s)})
}

// folded is the snapshot a processor would have written after events.
func folded(t *testing.T, evs ...schemas.Event) *ordering.OrderSnapshot {
	t.Helper()
	var o ordering.Order
	for _, ev := range evs {
		var err error
		if o, err = procordering.OrderRules.Evolve(o, ev.(ordering.OrderEvent)); err != nil {
			t.Fatal(err)
		}
	}
	last := evs[len(evs)-1].EventMetadata()
	return &ordering.OrderSnapshot{AggregateID: last.AggregateID, Version: last.AggregateVersion, LastOffset: 7,
		UpdatedAt: last.OccurredAt, State: o, Recent: []schemas.Applied{{CommandID: "processor-window", Offset: 7, Version: last.AggregateVersion}}}
}

// liveSnapshot reads the latest live snapshot of an order.
func (r *rig) liveSnapshot(id string) *ordering.OrderSnapshot {
	r.t.Helper()
	k := orderKind(r.t)
	tb, err := r.log.readTable(r.ctx, k, topics.Orders.Table.Name, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	e, ok := tb.entries[id]
	if !ok {
		return nil
	}
	v, err := r.sd.Decode(r.ctx, e.pos, e.raw)
	if err != nil {
		r.t.Fatal(err)
	}
	return v.(*ordering.OrderSnapshot)
}

// problemsOf lists each discrepancy as "problem id".
func problemsOf(ds []Discrepancy) []string {
	var out []string
	for _, d := range ds {
		out = append(out, string(d.Problem)+" "+d.ID)
	}
	return out
}
