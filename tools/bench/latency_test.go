package bench

import (
	"testing"
	"time"
)

// watchWithPauses is a brokerWatch that saw the broker pause from 0 to
// 300 ms, 1 to 3 s and 5 to 5.4 s; at gives the time at a millisecond.
func watchWithPauses() (*brokerWatch, func(ms int) time.Time) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	return &brokerWatch{pauses: []span{{at(0), at(300)}, {at(1000), at(3000)}, {at(5000), at(5400)}}}, at
}

// A measurement is taken again only for a broker pause that overlapped it.
func TestBrokerWatchLongestCountsOnlyOverlappingPauses(t *testing.T) {
	w, at := watchWithPauses()
	for _, c := range []struct {
		from, to int
		want     time.Duration
	}{
		{400, 900, 0},
		{400, 1200, 2 * time.Second},
		{2900, 5100, 2 * time.Second},
		{3100, 6000, 400 * time.Millisecond},
		{6000, 9000, 0},
	} {
		if got := w.longest(at(c.from), at(c.to)); got != c.want {
			t.Errorf("longest(%d ms, %d ms) = %s, want %s", c.from, c.to, got, c.want)
		}
	}
}

// The paced lag's note counts the broker's pauses within its window only,
// so that a sample over the bound can be told from a pause.
func TestBrokerWatchNotesThePausesWithinAWindow(t *testing.T) {
	w, at := watchWithPauses()
	for _, c := range []struct {
		from, to int
		want     string
	}{
		{400, 900, "; the broker answered within 250ms throughout"},
		{400, 6000, "; the broker answered nothing 2 times meanwhile (kfake compacting or stalled), 2.4s in all, the longest 2s"},
		{5100, 9000, "; the broker answered nothing once meanwhile (kfake compacting or stalled), 400ms in all, the longest 400ms"},
	} {
		if got := w.pausesNote(at(c.from), at(c.to)); got != c.want {
			t.Errorf("pausesNote(%d ms, %d ms) = %q\nwant %q", c.from, c.to, got, c.want)
		}
	}
}

// The note on a p99 says how the single seconds' p99s spread and counts
// those over the target, a second exactly at it not being over.
func TestSecondsNoteCountsTheSecondsOverTheLimit(t *testing.T) {
	got := secondsNote([]float64{12, 30, 25, 9.5, 56}, 25)
	want := "; p99 of each second: median 25.0 ms, slowest 56.0 ms, 2 of 5 seconds over 25.0 ms"
	if got != want {
		t.Errorf("secondsNote = %q\nwant            %q", got, want)
	}
	if got := secondsNote(nil, 25); got != "" {
		t.Errorf("secondsNote of no seconds = %q, want nothing", got)
	}
}
