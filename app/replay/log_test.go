package replay

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/topics"
)

// Verify, Rebuild and AsOf against an in-process broker holding a
// synthetic log of orders: given what the log and the table hold, then
// what each reports.

// happy is a completed order's whole log.
func happy(id string) []schemas.Event {
	return []schemas.Event{as(id, created(1, "e1")), as(id, approved(2, "e2")), as(id, readied(3, "e3")), as(id, completed(4, "e4"))}
}

func TestVerifyFindsNothingWrongInASoundLogAndItsTable(t *testing.T) {
	r := newRig(t)
	for _, id := range []string{"o1", "o2", "o3"} {
		r.events(happy(id)...)
		r.snapshot(folded(t, happy(id)...))
	}
	r.events(as("o2", completed(4, "e4"))) // a redelivery's copy, before any later version
	rep, err := r.log.Verify(r.ctx, VerifyTypes("order"))
	if err != nil {
		t.Fatal(err)
	}
	if ds := rep.Discrepancies(); len(ds) != 0 {
		t.Fatalf("want no discrepancy, got %v", ds)
	}
	o := rep.Types[0]
	if o.Events != 13 || o.Aggregates != 3 || o.Duplicates != 1 || o.Snapshots != 3 || o.Matching != 3 {
		t.Fatalf("counts %+v: want 13 events, 3 aggregates, 1 duplicate, 3 snapshots, 3 matching", o)
	}
}

func TestVerifyReportsEachDiscrepancyOnceWithItsAggregate(t *testing.T) {
	r := newRig(t)
	r.events(happy("sound")...)
	r.snapshot(folded(t, happy("sound")...))

	r.events(as("gap", created(1, "e1")), as("gap", readied(3, "e3")))
	r.events(as("conflict", created(1, "e1")), as("conflict", approved(2, "e2")), as("conflict", rejected(2, "other")))

	r.events(happy("corrupt")...)
	bad := folded(t, happy("corrupt")...)
	bad.State.Status = "canceled"
	r.snapshot(bad)

	r.events(happy("behind")...)
	r.snapshot(folded(t, happy("behind")[:3]...))
	r.events(happy("untabled")...)
	r.snapshot(folded(t, as("ghost", created(1, "e1"))))

	misplaced := as("misplaced", created(1, "e1"))
	r.eventOn(misplaced, "misplaced", (topics.PartitionFor("misplaced", 8)+1)%8)
	r.snapshot(folded(t, as("misplaced", created(1, "e1"))))

	rep, err := r.log.Verify(r.ctx, VerifyTypes("mallbots.orders"))
	if err != nil {
		t.Fatal(err)
	}
	got := problemsOf(rep.Discrepancies())
	want := []string{
		"partition misplaced", "conflict conflict", "gap gap",
		"table-version behind", "table-state corrupt", "table-missing untabled", "table-extra ghost",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("discrepancies\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, d := range rep.Discrepancies() {
		if d.ID == "corrupt" && !strings.Contains(d.Detail, `status: table "canceled", log "completed"`) {
			t.Errorf("a state difference names the field and both values: %s", d.Detail)
		}
	}
	var out strings.Builder
	rep.Print(&out)
	if !strings.Contains(out.String(), "7 discrepancies") || !strings.Contains(out.String(), "table-state   order corrupt") {
		t.Errorf("the printed report counts and lists them:\n%s", out.String())
	}
}

func TestRebuildSwapsInOnlyWhatDiffersAndCarriesTheCommittedOffset(t *testing.T) {
	r := newRig(t)
	for _, id := range []string{"kept", "fixed"} {
		r.events(happy(id)...)
	}
	r.snapshot(folded(t, happy("kept")...))
	bad := folded(t, happy("fixed")...)
	bad.State.TotalCents = 1
	r.snapshot(bad)
	r.snapshot(folded(t, as("ghost", created(1, "e1"))))
	cmdPartition := topics.PartitionFor("fixed", topics.Orders.Commands.Partitions)
	commit := kadm.Offsets{}
	commit.AddOffset(topics.Orders.Commands.Name, cmdPartition, 42, -1)
	if _, err := r.adm.CommitOffsets(r.ctx, topics.Orders.Group, commit); err != nil {
		t.Fatal(err)
	}

	rep, err := r.log.Rebuild(r.ctx, "mallbots.orders")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rebuilt != 2 || rep.Live != 3 || rep.Matching != 1 || rep.Written != 1 || rep.Removed != 1 || !rep.Swapped {
		t.Fatalf("report %+v: want 2 rebuilt, 3 live, 1 matching, 1 written, 1 removed, swapped", rep)
	}
	if got := problemsOf(rep.Differences); !slices.Equal(got, []string{"table-state fixed", "table-extra ghost"}) {
		t.Fatalf("differences %v", got)
	}
	fixed := r.liveSnapshot("fixed")
	if fixed.State.TotalCents != 999 || fixed.LastOffset != 41 || len(fixed.Recent) != 4 || fixed.Recent[3].Offset != -1 {
		t.Fatalf("rebuilt snapshot %+v: want the log's total, lastOffset 41 (committed 42 - 1), the 4 commands' window without offsets", fixed)
	}
	if kept := r.liveSnapshot("kept"); kept.Recent[0].CommandID != "processor-window" {
		t.Fatalf("an equal snapshot is left alone, with the processor's window: %+v", kept)
	}
	if r.liveSnapshot("ghost") != nil {
		t.Fatal("an aggregate the log does not know is removed from the table")
	}
	if v, err := r.log.Verify(r.ctx, VerifyTypes("order")); err != nil || len(v.Discrepancies()) != 0 {
		t.Fatalf("after the swap Verify finds %v (%v)", v.Discrepancies(), err)
	}
	if ts, _ := r.adm.ListTopics(r.ctx, topics.RebuildOf(topics.Orders.Group)); ts.Has(topics.RebuildOf(topics.Orders.Group)) {
		t.Fatal("the rebuild topic is deleted after the swap")
	}
}

func TestRebuildRefusesWhileTheGroupHasActiveMembers(t *testing.T) {
	r := newRig(t)
	r.events(happy("o1")...)
	member, err := kgo.NewClient(append(r.opt, kgo.ConsumerGroup(topics.Orders.Group), kgo.ConsumeTopics(topics.Orders.Commands.Name))...)
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms, err := r.log.activeMembers(r.ctx, topics.Orders.Group)
		if err == nil && len(ms) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consumer did not join: %v %v", ms, err)
		}
		poll, cancel := context.WithTimeout(r.ctx, 100*time.Millisecond)
		member.PollRecords(poll, 1) // joins in the background; polling drives it
		cancel()
	}

	_, err = r.log.Rebuild(r.ctx, "order")
	var active *GroupActiveError
	if !errors.As(err, &active) || !strings.Contains(err.Error(), "stop it first") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("want a refusal saying what to do, got %v", err)
	}
	rep, err := r.log.Rebuild(r.ctx, "order", RebuildDryRun())
	if err != nil || rep.Swapped || len(rep.Differences) != 1 {
		t.Fatalf("a dry run compares without writing: %+v %v", rep, err)
	}
	if r.liveSnapshot("o1") != nil {
		t.Fatal("a dry run wrote the live table")
	}
}

func TestRebuildRefusesALogWithDiscrepancies(t *testing.T) {
	r := newRig(t)
	r.events(as("gap", created(1, "e1")), as("gap", readied(3, "e3")))
	rep, err := r.log.Rebuild(r.ctx, "order")
	if err == nil || !strings.Contains(err.Error(), "mallbots verify") || len(rep.LogProblems) != 1 {
		t.Fatalf("want a refusal naming the gap, got %v (%+v)", err, rep)
	}
}

func TestAsOfFoldsOneAggregateUpToAnInstant(t *testing.T) {
	r := newRig(t)
	for _, id := range []string{"o1", "o2", "o3"} {
		r.events(happy(id)...)
	}
	for _, c := range []struct {
		at     time.Duration
		status string
	}{{time.Second, "pending"}, {2 * time.Second, "approved"}, {3500 * time.Millisecond, "ready"}, {time.Hour, "completed"}} {
		p, err := r.log.AsOf(r.ctx, "order", "o2", t0.Add(c.at))
		if err != nil {
			t.Fatal(err)
		}
		if p.State["status"] != c.status || p.LatestVersion != 4 || p.ID != "o2" {
			t.Errorf("at t0+%s: %+v, want status %s", c.at, p, c.status)
		}
	}
	_, err := r.log.AsOf(r.ctx, "order", "o2", t0)
	var notYet *NotYetError
	if !errors.As(err, &notYet) || !notYet.First.Equal(t0.Add(time.Second)) {
		t.Fatalf("before its first event: want NotYetError with the first event's time, got %v", err)
	}
	if _, err := r.log.AsOf(r.ctx, "order", "nobody", t0.Add(time.Hour)); !errors.As(err, &notYet) || !notYet.First.IsZero() {
		t.Fatalf("an id without events: want NotYetError, got %v", err)
	}
	var unknown *UnknownTypeError
	if _, err := r.log.AsOf(r.ctx, "spaceship", "o2", t0); !errors.As(err, &unknown) || !strings.Contains(err.Error(), "shopping_list") {
		t.Fatalf("an unknown type: want UnknownTypeError listing the types, got %v", err)
	}
}

// An aggregate's history lists the events up to the instant asked, each
// with who issued its command (docs/adr/0023).
func TestAsOfNamesWhoIssuedEachChange(t *testing.T) {
	r := newRig(t)
	evs := happy("o1")
	for i, who := range []string{"customer-1", schemas.IssuerSaga, schemas.IssuerPolicies, schemas.IssuerPolicies} {
		role := schemas.ServiceRole
		if i == 0 {
			role = "customer"
		}
		m := evs[i].EventMetadata()
		m.IssuedBy, m.IssuerRole = who, role
	}
	r.events(evs...)
	p, err := r.log.AsOf(r.ctx, "order", "o1", t0.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Version: 1, Event: "OrderCreated", IssuedBy: "customer-1", IssuerRole: "customer"},
		{Version: 2, Event: "OrderApproved", IssuedBy: schemas.IssuerSaga, IssuerRole: schemas.ServiceRole},
	}
	if len(p.Changes) != len(want) {
		t.Fatalf("changes up to t0+2s: %+v, want %d", p.Changes, len(want))
	}
	for i, w := range want {
		got := p.Changes[i]
		if got.Version != w.Version || got.Event != w.Event || got.IssuedBy != w.IssuedBy || got.IssuerRole != w.IssuerRole ||
			got.CommandID != evs[i].EventMetadata().CommandID || !got.OccurredAt.Equal(evs[i].EventMetadata().OccurredAt) {
			t.Errorf("change %d: %+v, want %+v", i, got, w)
		}
	}
}
