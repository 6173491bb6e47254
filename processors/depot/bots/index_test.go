package bots

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func claimAll(x *Index) []string {
	var out []string
	for {
		id, ok := x.Claim()
		if !ok {
			return out
		}
		out = append(out, id)
	}
}

func TestAnIdleBotTakesTheOldestAvailableList(t *testing.T) {
	x := NewIndex()
	x.Observe("c", true, at(3))
	x.Observe("a", true, at(1))
	x.Observe("d", true, at(4))
	x.Observe("b", true, at(2))
	if got := claimAll(x); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("claimed %v, want oldest first", got)
	}
}

func TestListsAvailableAtTheSameInstantGoInIDOrder(t *testing.T) {
	x := NewIndex()
	for _, id := range []string{"z", "m", "a"} {
		x.Observe(id, true, at(1))
	}
	if got := claimAll(x); !slices.Equal(got, []string{"a", "m", "z"}) {
		t.Fatalf("claimed %v", got)
	}
}

func TestAClaimedListIsNotClaimedAgain(t *testing.T) {
	x := NewIndex()
	x.Observe("a", true, at(1))
	if id, ok := x.Claim(); !ok || id != "a" {
		t.Fatalf("claimed %q %v", id, ok)
	}
	// The table says it again (a redelivered state write): still claimed.
	x.Observe("a", true, at(1))
	if id, ok := x.Claim(); ok {
		t.Fatalf("a claimed list was claimed again: %q", id)
	}
}

func TestAListThatIsNoLongerAvailableLeavesTheIndex(t *testing.T) {
	x := NewIndex()
	x.Observe("a", true, at(1))
	x.Observe("b", true, at(2))
	x.Observe("a", false, time.Time{}) // assigned elsewhere, or canceled
	x.Observe("never", false, time.Time{})
	if got := claimAll(x); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("claimed %v", got)
	}
	if x.Available() != 0 || len(x.entries) != 1 {
		t.Fatalf("the index keeps %d queued and %d entries", x.Available(), len(x.entries))
	}
}

func TestAnUnclaimedListGoesBackOnlyIfStillAvailable(t *testing.T) {
	x := NewIndex()
	x.Observe("a", true, at(1))
	x.Observe("b", true, at(2))
	a, _ := x.Claim()
	b, _ := x.Claim()
	x.Observe(b, false, time.Time{}) // canceled while claimed
	x.Unclaim(a)
	x.Unclaim(b)
	if got := claimAll(x); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("claimed %v after unclaiming", got)
	}
	x.Done("a")
	if len(x.entries) != 0 {
		t.Fatalf("the index still holds %v", x.entries)
	}
}

func TestAReservedListIsKeptFromTheOtherBots(t *testing.T) {
	x := NewIndex()
	x.Observe("a", true, at(1))
	x.Observe("b", true, at(2))
	x.Reserve("a")         // a bot resuming its trip on a
	x.Reserve("elsewhere") // a list the index never saw available
	if got := claimAll(x); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("claimed %v", got)
	}
	x.Done("a")
	x.Done("elsewhere")
	x.Done("b")
	if len(x.entries) != 0 || x.Available() != 0 {
		t.Fatalf("the index still holds %v", x.entries)
	}
}

func TestChangedSignalsANewClaimableList(t *testing.T) {
	x := NewIndex()
	ch := x.Changed()
	x.Observe("a", false, time.Time{})
	select {
	case <-ch:
		t.Fatal("signaled without a claimable list")
	default:
	}
	x.Observe("a", true, at(1))
	select {
	case <-ch:
	default:
		t.Fatal("no signal for a new available list")
	}
}

// Many bots claiming at once never get the same list, and together they
// take every list exactly once.
func TestConcurrentClaimsNeverShareAList(t *testing.T) {
	x := NewIndex()
	const lists, bots = 1000, 16
	for i := range lists {
		x.Observe(fmt.Sprintf("list-%04d", i), true, at(i))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range bots {
		wg.Go(func() {
			for {
				id, ok := x.Claim()
				if !ok {
					return
				}
				mu.Lock()
				seen[id]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != lists {
		t.Fatalf("%d lists claimed, want %d", len(seen), lists)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s claimed %d times", id, n)
		}
	}
}

// The cost of a choice grows with the log of the backlog: the index never
// scans the table.
func BenchmarkClaimFromABacklogOf100000Lists(b *testing.B) {
	x := NewIndex()
	for i := range 100_000 {
		x.Observe(fmt.Sprintf("list-%06d", i), true, at(i%5000))
	}
	b.ResetTimer()
	for i := range b.N {
		id, ok := x.Claim()
		if !ok {
			b.Fatal("the backlog ran dry")
		}
		x.Unclaim(id) // still available: back in the queue
		x.Observe(fmt.Sprintf("new-%d", i), true, at(6000+i))
		x.Observe(fmt.Sprintf("new-%d", i), false, time.Time{})
	}
}
