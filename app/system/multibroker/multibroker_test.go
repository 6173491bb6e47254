// Package multibroker_test runs the whole system on an embedded cluster of
// three brokers and checks that it loses and doubles nothing while
// partition leadership moves between the brokers and while one broker is
// unreachable (tools/chaos, scenario "brokers").
package multibroker_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/tools/chaos"
)

// Commands sent through the API while every partition's leader and every
// group's coordinator move between three brokers, and then while one
// broker is unreachable for a few seconds, are each applied exactly once:
// one event each in the log, versions 1..n per aggregate, the API's state
// and ClickHouse's events equal to the log, and every state table the
// fold of its events (chaos.Check). Bounded: one round, a 5 s outage, no
// background shoppers (they need time to set up before the first fault;
// `mallbots chaos --scenario brokers` runs them, docs/reliability.md).
func TestCommandsApplyOnceWhileLeadershipMovesAndABrokerIsUnreachable(t *testing.T) {
	chtest.RequireBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 85*time.Second)
	defer cancel()
	var out bytes.Buffer
	r, err := chaos.Run(ctx, "brokers", chaos.Config{Rounds: 1, Outage: 5 * time.Second, Dir: t.TempDir(), Out: &out})
	r.Print(&out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !r.OK() {
		t.Fatalf("something was lost or doubled on three brokers:\n%s", out.String())
	}
	if r.Acked < 50 || r.Faults < 4 {
		t.Fatalf("%d commands acknowledged across %d faults, want at least 50 across 4: the test proves too little\n%s", r.Acked, r.Faults, out.String())
	}
}
