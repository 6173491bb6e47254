package enginetest

import (
	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/topics"
)

// Snapshot is what a's table holds for id, or nil. It fails the test if
// the table holds something else than a snapshot of S.
func Snapshot[S any](r *Rig, a topics.Aggregate, id string) *schemas.Snapshot[S] {
	r.t.Helper()
	v := r.tt.TableValue(goka.Table(a.Table.Name), id)
	if v == nil {
		return nil
	}
	decoded := r.decode(a.Table.Name, v)
	snap, ok := decoded.(*schemas.Snapshot[S])
	if !ok {
		r.t.Fatalf("the %s table holds a %T for %q", a.Type, decoded, id)
	}
	return snap
}

// SetSnapshot puts snap in a's table, keyed by its aggregate id: how a
// test publishes another context's state for a group to look up, or what
// a previous run left in the group's own table.
func SetSnapshot[S any](r *Rig, a topics.Aggregate, snap *schemas.Snapshot[S]) {
	r.t.Helper()
	r.tt.SetTableValue(goka.Table(a.Table.Name), snap.AggregateID, Encode(r.t, a.Table, snap))
}
