package chaos

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// The tamper scenario counts a refused attack as the ACLs' doing, and
// "nothing changed" as proof that none got through. Both hold only if the
// attacks are well-formed requests that a broker allowing them would carry
// out, and if the state comparison sees what they would do: on a broker
// without authentication or ACLs, every attack is accepted and every
// change is reported.
func TestTheAttacksWouldChangeEverythingOnABrokerThatAllowedThem(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	opts := []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}
	cl, err := kgo.NewClient(append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := admin.Apply(ctx, adm, topics.All()); err != nil {
		t.Fatal(err)
	}
	tt := targetsOfTamper()
	var recs []*kgo.Record
	for _, name := range tt.topics {
		for p := range partitionsOf(name) {
			for i := range 2 {
				recs = append(recs, &kgo.Record{Topic: name, Partition: p, Key: fmt.Appendf(nil, "k%d", i), Value: []byte("v")})
			}
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	before, err := readLogState(ctx, adm, tt)
	if err != nil {
		t.Fatal(err)
	}

	all := slices.DeleteFunc(slices.Clone(attackKinds), func(k string) bool { return k == attackDeleteTopic })
	atts, err := attackAll(ctx, "anyone", opts, tt, all)
	if err != nil {
		t.Fatal(err)
	}
	if want := 4*len(tt.topics) + len(tt.groups); len(atts) != want {
		t.Fatalf("%d attempts, want %d", len(atts), want)
	}
	for _, a := range atts {
		if a.refused {
			t.Errorf("%s on %s was refused by a broker that allows everything: %s", a.kind, a.target, a.answer)
		}
	}
	after, err := readLogState(ctx, adm, tt)
	if err != nil {
		t.Fatal(err)
	}
	problems, _, err := unchanged(ctx, opts, before, after)
	if err != nil {
		t.Fatal(err)
	}
	seen := func(substr string) bool {
		return slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, substr) })
	}
	for _, name := range tt.topics {
		for _, want := range []string{name + "/0 now starts at 1", "config " + name + " retention.ms", "an attacker's record is in " + name + "/0@2"} {
			if !seen(want) {
				t.Errorf("the comparison missed %q", want)
			}
		}
	}
	for _, f := range tt.groups {
		if !seen("committed offset " + f.Group + " ") {
			t.Errorf("the comparison missed the attackers' commit for %s", f.Group)
		}
	}
	if t.Failed() {
		t.Logf("what the comparison reported:\n%s", strings.Join(problems, "\n"))
	}

	deleted, err := attackAll(ctx, "anyone", opts, tt, []string{attackDeleteTopic})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range deleted {
		if a.refused {
			t.Errorf("deleting %s was refused by a broker that allows everything: %s", a.target, a.answer)
		}
	}
}

// Verify's findings are matched one for one with the tampers': each
// expected finding once, and any other reported as not tampered with.
func TestFindingsAreMatchedOneForOne(t *testing.T) {
	altered := replay.Discrepancy{Type: "store", ID: "s1", Problem: replay.ProblemAltered, Where: "mallbots.stores.events/3@58"}
	extra := replay.Discrepancy{Type: "customer", ID: "c1", Problem: replay.ProblemTableExtra, Where: "mallbots.customers-table/2@1"}
	want := []tamper{
		{what: "altered copy", want: finding{replay.ProblemAltered, "s1", "mallbots.stores.events/3@58"}},
		{what: "consequence", want: finding{replay.ProblemTableExtra, "c1", ""}},
		{what: "reordered", want: finding{replay.ProblemOrder, "c2", "mallbots.customers.events/3@81"}},
	}
	missing, unexpected := compareFindings(want, []replay.Discrepancy{altered, extra, altered})
	if len(missing) != 1 || !strings.Contains(missing[0], "reordered") {
		t.Errorf("missing %q, want the reordered one only", missing)
	}
	if len(unexpected) != 1 || !strings.Contains(unexpected[0], "altered") {
		t.Errorf("not tampered with %q, want the second altered finding", unexpected)
	}
}
