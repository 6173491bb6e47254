package enginetest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/topics"
)

// recorder keeps what an assertion reports instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// A group that only consumes its commands and emits its events is not an
// aggregate group: the assertion names each missing edge and the extra lookup.
func TestAssertAggregateGraphNamesWhatAGroupLacks(t *testing.T) {
	a := topics.Stores
	gg := goka.DefineGroup(goka.Group(a.Group),
		goka.Input(goka.Stream(a.Commands.Name), new(codec.Bytes), func(goka.Context, any) {}),
		goka.Persist(new(codec.Bytes)),
		goka.Output(goka.Stream(a.Events.Name), new(codec.Bytes)),
		goka.Lookup(goka.Table(topics.Customers.Table.Name), new(codec.Bytes)),
	)
	rec := &recorder{TB: t}
	enginetest.AssertAggregateGraph(rec, gg, a)
	for _, want := range []string{"lack " + topics.Results.Name, "lack " + topics.DeadLetter.Name, "lack " + a.Commands.Name, "lack " + topics.SagaReplies.Name, "lookups [" + topics.Customers.Table.Name + "], want []"} {
		if !slices.ContainsFunc(rec.errs, func(e string) bool { return strings.Contains(e, want) }) {
			t.Errorf("no report says %q; reports: %q", want, rec.errs)
		}
	}
	if len(rec.errs) != 5 {
		t.Errorf("want 5 reports, got %q", rec.errs)
	}
}
