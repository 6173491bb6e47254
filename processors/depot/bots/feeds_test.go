package bots_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/platform/testkit"
	depotrules "github.com/mallbots/mallbots/processors/depot"
	"github.com/mallbots/mallbots/processors/depot/bots"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/topics"
)

// The views feed the pool every record of the shopping lists and bots
// tables: what they say is what the pool's bots do. Under goka's tester.
func TestTheViewsFeedThePoolFromTheTables(t *testing.T) {
	sd, _ := testkit.Serde(t)
	tt := tester.New(t)
	f := newFakeDepot()
	p, err := bots.New(1, f, bots.WithShoppingTime(time.Millisecond), bots.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	feeds, err := bots.Views(p, nil, sd, func(string) []goka.ViewOption { return []goka.ViewOption{goka.WithViewTester(tt)} })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, feeds...) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	testkit.Eventually(t, 5*time.Second, func() (bool, string) { return p.Ready(), "the pool is not ready" })

	put := func(table string, key string, snap any) {
		t.Helper()
		b, err := sd.Encode(table, snap)
		if err != nil {
			t.Fatal(err)
		}
		tt.Consume(table, key, b)
	}
	available := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	put(topics.ShoppingLists.Table.Name, "list-1", &depot.ShoppingListSnapshot{AggregateID: "list-1", Version: 2,
		State: depot.ShoppingList{ID: "list-1", OrderID: "o", Status: depotrules.StatusAvailable, AvailableAt: available}})
	put(topics.ShoppingLists.Table.Name, "list-2", &depot.ShoppingListSnapshot{AggregateID: "list-2", Version: 1,
		State: depot.ShoppingList{ID: "list-2", OrderID: "o", Status: depotrules.StatusPending}})
	tt.Consume(topics.ShoppingLists.Table.Name, "list-3", []byte("not a snapshot")) // skipped, loudly
	// The fake depot has no such list: the bot's assignment is refused, and
	// the bot released. What matters here is that the view made it try.
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		return f.attemptsOf("AssignShoppingList") > 0, "no bot tried the available list"
	})
	if p.Available() != 0 {
		t.Fatalf("%d lists still waiting", p.Available())
	}

	// A bot state in the table reaches the pool.
	put(topics.Bots.Table.Name, "bot-1", &depot.BotSnapshot{AggregateID: "bot-1", Version: 7,
		State: depot.Bot{ID: "bot-1", Status: depotrules.BotActive, ShoppingListID: "list-9"}})
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		return f.releasedFrom("bot-1", "list-9"), "bot-1 did not pick up the list the table says it is on"
	})
}
