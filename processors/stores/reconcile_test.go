package stores

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// These specs start where a crash left things: a command record that the
// previous run handled is delivered again (goka's tester numbers records
// from 0, so the redelivered record is offset 0), with the table and the
// event log each holding what survived.

type crash struct {
	*enginetest.Rig
	create *stores.CreateStore
	event  []byte // the StoreCreated the previous run produced
}

func afterCrash(t *testing.T, stateSurvived, eventSurvived bool) *crash {
	create := &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "From the first run", Location: "L"}
	ev := enginetest.Encode(t, topics.Stores.Events, &stores.StoreCreated{Name: create.Name, Location: create.Location, EventMeta: schemas.EventMeta{
		EventID: schemas.EventID("c1", 0), AggregateID: "s1", AggregateVersion: 1,
		OccurredAt: time.Now(), CommandID: "c1", CausationID: "c1", CorrelationID: "c1"}})
	log := &enginetest.EventLog{}
	if eventSurvived {
		log.Records = []*kgo.Record{{Topic: topics.Stores.Events.Name, Key: []byte("s1"), Value: ev}}
	}
	opts := []enginetest.Option{enginetest.WithEventLog(log)}
	if stateSurvived {
		opts = append(opts, enginetest.WithSnapshot(topics.Stores, &stores.StoreSnapshot{AggregateID: "s1", Version: 1, LastOffset: 0, UpdatedAt: time.Now(),
			Recent: []schemas.Applied{{CommandID: "c1", Offset: 0, Version: 1, ProcessedAt: time.Now(), Events: [][]byte{ev}}},
			State:  stores.Store{ID: "s1", Name: create.Name, Location: "L"}}))
	}
	return &crash{Rig: enginetest.New(t, Groups, opts...), create: create, event: ev}
}

func (c *crash) redeliver(cmd *stores.CreateStore) *schemas.CommandResult {
	c.Send(cmd)
	return c.NextResult()
}

func TestARedeliveredCommandWhoseStateAndEventsSurvivedEmitsNothingNew(t *testing.T) {
	c := afterCrash(t, true, true)
	if res := c.redeliver(c.create); !res.Accepted || res.Version != 1 {
		t.Fatalf("unexpected %+v", res)
	}
	c.NoEvent(topics.Stores) // the event already in the log is not emitted again
}

func TestARedeliveredCommandWhoseEventsWereLostEmitsThemAsTheyWere(t *testing.T) {
	c := afterCrash(t, true, false)
	c.redeliver(c.create)
	if string(c.NextEventRaw(topics.Stores)) != string(c.event) {
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
	c.NoEvent(topics.Stores) // the event already in the log is not emitted again
	snap := storeSnapshot(c.Rig, "s1")
	if snap.Version != 1 || snap.State.Name != "From the first run" {
		t.Fatalf("the state did not adopt the logged event: %+v", snap.State)
	}
}

func TestARedeliveredCommandThatLeftNothingIsAppliedAfresh(t *testing.T) {
	c := afterCrash(t, false, false)
	if res := c.redeliver(c.create); !res.Accepted || res.Version != 1 {
		t.Fatalf("unexpected %+v", res)
	}
	ev := c.NextEvent(topics.Stores)
	if ev.EventMetadata().EventID != schemas.EventID("c1", 0) {
		t.Fatalf("unexpected %+v", ev.EventMetadata())
	}
}

func TestTheWindowForgetsTheEventsOfCommittedCommandsButStillAnswersTheirRetries(t *testing.T) {
	// The group has committed offset 1: the command at offset 0 had every
	// event acknowledged, so the next snapshot need not carry its bytes.
	r := enginetest.New(t, Groups, enginetest.WithEventLog(&enginetest.EventLog{CommittedOffset: 1}))
	create := &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "W", Location: "L"}
	r.Send(create) // offset 0
	r.NextEvent(topics.Stores)
	first := r.NextResult()
	r.Send(&stores.EnableParticipation{CommandMeta: meta("c2", "s1")}) // offset 1, not committed
	r.NextEvent(topics.Stores)
	r.NextResult()

	snap := storeSnapshot(r, "s1")
	if len(snap.Recent) != 2 {
		t.Fatalf("window of %d commands, want 2", len(snap.Recent))
	}
	if c1 := snap.Recent[0]; len(c1.Events) != 1 || len(c1.Events[0]) != 0 {
		t.Fatalf("the committed command's window entry holds %d events of %v bytes, want 1 forgotten", len(c1.Events), c1.Events)
	}
	if c2 := snap.Recent[1]; len(c2.Events) != 1 || len(c2.Events[0]) == 0 {
		t.Fatalf("the uncommitted command's window entry lost its encoded event: %+v", c2)
	}

	r.Send(create) // a client retry of the committed command
	again := r.NextResult()
	if !again.Accepted || again.Version != 1 || len(again.EventIDs) != 1 || again.EventIDs[0] != first.EventIDs[0] {
		t.Fatalf("the retry answered %+v, want %+v", again, first)
	}
	r.NoEvent(topics.Stores)
}
