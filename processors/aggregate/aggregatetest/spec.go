// Package aggregatetest runs given/when/then specifications of aggregate
// rules through aggregate.Execute, so rule tests read as tables.
package aggregatetest

import (
	"errors"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas"
)

// Spec is one case: given the events so far, when the command arrives
// (with these facts about other aggregates), then these events or this
// rejection.
type Spec[C schemas.Command, E schemas.Event] struct {
	Name  string
	Given []E
	When  C
	Facts aggregate.Facts
	Then  []E
	Err   error
}

// Run checks every spec. Event metadata is ignored when comparing events;
// versions are checked to follow the given events.
func Run[S any, C schemas.Command, E schemas.Event](t *testing.T, rules aggregate.Rules[S, C, E], specs []Spec[C, E]) {
	t.Helper()
	for _, sp := range specs {
		t.Run(sp.Name, func(t *testing.T) {
			snap := given(t, rules, sp.Given)
			meta := sp.When.CommandMetadata()
			if meta.CommandID == "" {
				meta.CommandID = "cmd-under-test"
			}
			if meta.AggregateID == "" {
				meta.AggregateID = "agg-1"
			}
			out, err := aggregate.Execute(rules, snap, aggregate.Input[C, E]{Command: sp.When, Offset: int64(len(sp.Given)), Now: time.Now(), Facts: sp.Facts})
			if err != nil {
				t.Fatalf("broken invariant: %v", err)
			}
			if sp.Err != nil {
				if out.Result.Accepted {
					t.Fatalf("want rejection %q, got accepted with %d events", sp.Err, len(out.Events))
				}
				var rej *aggregate.Rejection
				if !errors.As(sp.Err, &rej) || out.Result.Message != rej.Message || out.Result.Code != rej.Code {
					t.Fatalf("want rejection %q, got %q (%s)", sp.Err, out.Result.Message, out.Result.Code)
				}
				if len(out.Events) != 0 {
					t.Fatalf("a rejection appended %d events", len(out.Events))
				}
				return
			}
			if !out.Result.Accepted {
				t.Fatalf("want accepted, got rejection %q", out.Result.Message)
			}
			if len(out.Events) != len(sp.Then) {
				t.Fatalf("want %d events, got %d: %#v", len(sp.Then), len(out.Events), out.Events)
			}
			for i := range sp.Then {
				got := withoutMeta(out.Events[i])
				want := withoutMeta(sp.Then[i])
				if !reflect.DeepEqual(got, want) {
					t.Errorf("event %d:\n got %#v\nwant %#v", i, got, want)
				}
				if v := out.Events[i].EventMetadata().AggregateVersion; v != int64(len(sp.Given)+i+1) {
					t.Errorf("event %d has version %d, want %d", i, v, len(sp.Given)+i+1)
				}
			}
		})
	}
}

func given[S any, C schemas.Command, E schemas.Event](t *testing.T, rules aggregate.Rules[S, C, E], events []E) *schemas.Snapshot[S] {
	t.Helper()
	if len(events) == 0 {
		return nil
	}
	var state S
	for i, ev := range events {
		ev.EventMetadata().AggregateID = "agg-1"
		var err error
		if state, err = rules.Evolve(state, ev); err != nil {
			t.Fatalf("given event %d: %v", i, err)
		}
	}
	return &schemas.Snapshot[S]{AggregateID: "agg-1", Version: int64(len(events)), LastOffset: int64(len(events)) - 1, State: state}
}

// withoutMeta copies an event with its embedded metadata zeroed.
func withoutMeta(ev schemas.Event) any {
	v := reflect.ValueOf(ev).Elem()
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	meta := c.Addr().Interface().(schemas.Event).EventMetadata()
	*meta = schemas.EventMeta{}
	return c.Interface()
}

// Fact is what another aggregate's table says about one key: the state at
// version 1, as aggregate.State reads it.
func Fact[S any](table, key string, state S) aggregate.Facts {
	return aggregate.Facts{{Table: table, Key: key}: &schemas.Snapshot[S]{AggregateID: key, Version: 1, State: state}}
}

// Facts merges the facts of several tables and keys into one.
func Facts(all ...aggregate.Facts) aggregate.Facts {
	out := aggregate.Facts{}
	for _, f := range all {
		maps.Copy(out, f)
	}
	return out
}
