// Package testkit provides the fixtures tests share: a Serde on an
// in-memory schema registry, command builders, and polling helpers.
package testkit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

var shared struct {
	once   sync.Once
	sd     *serde.Serde
	client *sr.Client
	err    error
}

// Serde returns a Serde with every type of the contract registered on an
// in-memory registry, and the registry client. One registry serves the
// whole test binary: registering the contract takes a while and a Serde is
// safe for concurrent use.
func Serde(t testing.TB) (*serde.Serde, *sr.Client) {
	t.Helper()
	shared.once.Do(func() {
		reg := srfake.New()
		shared.client, shared.err = sr.NewClient(sr.URLs(reg.URL()))
		if shared.err != nil {
			return
		}
		var types []schemas.Type
		if types, shared.err = contract.Types(); shared.err != nil {
			return
		}
		shared.sd, shared.err = serde.New(context.Background(), shared.client, types, topics.All())
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.sd, shared.client
}

// Eventually polls cond every few milliseconds until it holds or the
// deadline passes, then fails with what it says.
func Eventually(t testing.TB, within time.Duration, cond func() (bool, string)) {
	t.Helper()
	poll(t, within, 5*time.Millisecond, cond)
}

// Poll is Eventually for a condition too costly to check every few
// milliseconds (a query to a loaded system, a broker's committed offsets):
// it checks cond every interval and, past the deadline, fails naming what
// it waited for.
func Poll(t testing.TB, within, every time.Duration, what string, cond func() bool) {
	t.Helper()
	poll(t, within, every, func() (bool, string) { return cond(), what })
}

func poll(t testing.TB, within, every time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, why)
		}
		time.Sleep(every)
	}
}
