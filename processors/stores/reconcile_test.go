package stores

import (
	"context"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// These specs start where a crash left things: a command record that the
// previous run handled is delivered again (goka's tester numbers records
// from 0, so the redelivered record is offset 0), with the table and the
// event log each holding what survived.

// fakeLog is an event log holding what a test puts in it; every command
// offset counts as possibly handled before (a fresh assignment).
type fakeLog struct{ events []*kgo.Record }

func (f *fakeLog) EndOffset(context.Context, string, int32) (int64, error) { return 1 << 40, nil }
func (f *fakeLog) Since(context.Context, string, int32, time.Time) ([]*kgo.Record, error) {
	return f.events, nil
}

type crash struct {
	*rig
	create *stores.CreateStore
	event  []byte // the StoreCreated the previous run produced
}

func afterCrash(t *testing.T, stateSurvived, eventSurvived bool) *crash {
	sd, _ := testkit.Serde(t)
	create := &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "From the first run", Location: "L"}
	ev := &stores.StoreCreated{Name: create.Name, Location: create.Location, EventMeta: schemas.EventMeta{
		EventID: schemas.EventID("c1", 0), AggregateID: "s1", AggregateVersion: 1,
		OccurredAt: time.Now(), CommandID: "c1", CausationID: "c1", CorrelationID: "c1"}}
	evBytes, err := sd.Encode(topics.Stores.Events.Name, ev)
	if err != nil {
		t.Fatal(err)
	}
	log := &fakeLog{}
	if eventSurvived {
		log.events = []*kgo.Record{{Topic: topics.Stores.Events.Name, Key: []byte("s1"), Value: evBytes}}
	}
	tt := tester.New(t)
	deps := engine.Deps{Serde: sd, Partitions: func(topics.Topic) int32 { return 1 }, EventLog: log}
	p, err := goka.NewProcessor(nil, StoreGroup(deps), goka.WithTester(tt))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = p.Run(ctx) }()
	// The table value can be set once the processor runs (tester.SetTableValue).
	if stateSurvived {
		snap := &stores.StoreSnapshot{AggregateID: "s1", Version: 1, LastOffset: 0, UpdatedAt: time.Now(),
			Recent: []schemas.Applied{{CommandID: "c1", Offset: 0, Version: 1, ProcessedAt: time.Now(), Events: [][]byte{evBytes}}},
			State:  stores.Store{ID: "s1", Name: create.Name, Location: "L"}}
		b, err := sd.Encode(topics.Stores.Table.Name, snap)
		if err != nil {
			t.Fatal(err)
		}
		tt.SetTableValue(goka.Table(topics.Stores.Table.Name), "s1", b)
	}
	r := &rig{t: t, tt: tt, sd: sd,
		events:  map[string]*tester.QueueTracker{topics.Stores.Events.Name: tt.NewQueueTracker(topics.Stores.Events.Name)},
		results: tt.NewQueueTracker(topics.Results.Name),
		dlq:     tt.NewQueueTracker(topics.DeadLetter.Name),
	}
	return &crash{rig: r, create: create, event: evBytes}
}

func (c *crash) redeliver(cmd *stores.CreateStore) *schemas.CommandResult {
	c.send(topics.Stores.Commands.Name, cmd)
	return c.nextResult()
}

func TestARedeliveredCommandWhoseStateAndEventsSurvivedEmitsNothingNew(t *testing.T) {
	c := afterCrash(t, true, true)
	if res := c.redeliver(c.create); !res.Accepted || res.Version != 1 {
		t.Fatalf("unexpected %+v", res)
	}
	if _, _, ok := c.events[topics.Stores.Events.Name].Next(); ok {
		t.Fatal("an event already in the log was emitted again")
	}
}

func TestARedeliveredCommandWhoseEventsWereLostEmitsThemAsTheyWere(t *testing.T) {
	c := afterCrash(t, true, false)
	c.redeliver(c.create)
	_, v, ok := c.events[topics.Stores.Events.Name].Next()
	if !ok || string(v.([]byte)) != string(c.event) {
		t.Fatal("the lost event was not re-emitted byte for byte")
	}
}

func TestARedeliveredCommandWhoseStateWasLostAdoptsItsLoggedEvents(t *testing.T) {
	c := afterCrash(t, false, true)
	// Decided again, the command would now say something else; the log is
	// the truth.
	changed := *c.create
	changed.Name = "Decided again"
	if res := c.redeliver(&changed); !res.Accepted || res.Version != 1 {
		t.Fatalf("unexpected %+v", res)
	}
	if _, _, ok := c.events[topics.Stores.Events.Name].Next(); ok {
		t.Fatal("an event already in the log was emitted again")
	}
	snap := c.snapshot(topics.Stores, "s1").(*stores.StoreSnapshot)
	if snap.Version != 1 || snap.State.Name != "From the first run" {
		t.Fatalf("the state did not adopt the logged event: %+v", snap.State)
	}
}

func TestARedeliveredCommandThatLeftNothingIsAppliedAfresh(t *testing.T) {
	c := afterCrash(t, false, false)
	if res := c.redeliver(c.create); !res.Accepted || res.Version != 1 {
		t.Fatalf("unexpected %+v", res)
	}
	ev := c.nextEvent(topics.Stores.Events.Name)
	if ev.EventMetadata().EventID != schemas.EventID("c1", 0) {
		t.Fatalf("unexpected %+v", ev.EventMetadata())
	}
}
