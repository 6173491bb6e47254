package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/replay"
)

// fakeHistory answers as replay.Log would for an order o1 created at
// created, and records the instant it was asked about.
type fakeHistory struct {
	created time.Time
	asked   time.Time
}

func (f *fakeHistory) AsOf(_ context.Context, typ, id string, at time.Time) (*replay.Point, error) {
	f.asked = at
	switch {
	case typ != "order":
		return nil, &replay.UnknownTypeError{Name: typ}
	case id != "o1" || at.Before(f.created):
		return nil, &replay.NotYetError{Type: typ, ID: id, At: at, First: f.created}
	}
	return &replay.Point{Type: typ, ID: id, At: at, Version: 1, LatestVersion: 4, OccurredAt: f.created, State: map[string]any{"status": "pending"}}, nil
}

func getHistory(t *testing.T, h *fakeHistory, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+OperatorToken)
	New(WithTestAuth(Deps{History: h, Ready: func() error { return nil }})).ServeHTTP(rec, req)
	return rec
}

func TestHistoryAnswersTheAggregateAtTheInstant(t *testing.T) {
	h := &fakeHistory{created: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	rec := getHistory(t, h, "/api/history/order/o1?at=2026-05-01T14:00:00.5%2B02:00")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"status":"pending"`) || !strings.Contains(rec.Body.String(), `"version":1`) {
		t.Fatalf("want 200 with the state and version, got %d %s", rec.Code, rec.Body)
	}
	if want := h.created.Add(500 * time.Millisecond); !h.asked.Equal(want) {
		t.Fatalf("asked about %s, want %s", h.asked, want)
	}
	getHistory(t, h, "/api/history/order/o1?at=2026-05-01T14:00:00+02:00") // '+' sent unencoded
	if !h.asked.Equal(h.created) {
		t.Fatalf("an unencoded '+' offset is read back: asked %s", h.asked)
	}
	before := time.Now()
	getHistory(t, h, "/api/history/order/o1")
	if h.asked.Before(before) {
		t.Fatalf("without at, the instant is now: asked %s", h.asked)
	}
}

func TestHistoryRefusesWhatItCannotAnswer(t *testing.T) {
	h := &fakeHistory{created: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		path   string
		status int
		says   string
	}{
		{"/api/history/spaceship/o1", 400, `unknown aggregate \"spaceship\"`},
		{"/api/history/order/o1?at=yesterday", 400, "at must be an RFC 3339 instant"},
		{"/api/history/order/o1?at=2026-05-01T11:59:59Z", 404, "did not exist yet"},
		{"/api/history/order/nobody", 404, "did not exist yet"},
	} {
		rec := getHistory(t, h, c.path)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.says) {
			t.Errorf("GET %s: %d %s; want %d saying %q", c.path, rec.Code, rec.Body, c.status, c.says)
		}
	}
}
