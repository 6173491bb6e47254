// Package testkit provides the fixtures tests share: a Serde on an
// in-memory schema registry, command builders, and polling helpers.
package testkit

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/topics"
)

// Serde returns a Serde with every type of the contract registered on an
// in-memory registry, and the registry client.
func Serde(t testing.TB) (*schemas.Serde, *sr.Client) {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	client, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	types, err := contract.Types()
	if err != nil {
		t.Fatal(err)
	}
	serde, err := schemas.NewSerde(context.Background(), client, types, topics.All())
	if err != nil {
		t.Fatal(err)
	}
	return serde, client
}

// Eventually polls cond every few milliseconds until it holds or the
// deadline passes, then fails with what it says.
func Eventually(t testing.TB, within time.Duration, cond func() (bool, string)) {
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
		time.Sleep(5 * time.Millisecond)
	}
}
