package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --sample-traffic is sent once per data directory: the first start sends
// it and records it there, a later start says it was sent and where that
// is recorded, and sends nothing.
func TestSampleTrafficIsSentOncePerDataDirectory(t *testing.T) {
	dir := t.TempDir()
	sent := 0
	send := func(context.Context) (string, error) { sent++; return "order-1", nil }
	var first, second bytes.Buffer
	if err := sampleOnce(context.Background(), dir, &first, send); err != nil {
		t.Fatal(err)
	}
	if err := sampleOnce(context.Background(), dir, &second, send); err != nil {
		t.Fatal(err)
	}
	if sent != 1 {
		t.Fatalf("two starts on one data directory sent the sample traffic %d times, want once", sent)
	}
	marker := filepath.Join(dir, sampleSentFile)
	rec, err := os.ReadFile(marker)
	if err != nil || !strings.Contains(string(rec), "order order-1") {
		t.Fatalf("%s holds %q (%v), want the order the sample completed", marker, rec, err)
	}
	if !strings.Contains(first.String(), "recorded in "+marker) {
		t.Errorf("the first start printed %q, want it to say where the sending is recorded", first.String())
	}
	if !strings.Contains(second.String(), "already sent to this data directory ("+marker+": sent at ") ||
		!strings.Contains(second.String(), "Delete that file to send it again") {
		t.Errorf("the second start printed %q, want it to say the traffic was already sent, where, and how to send it again", second.String())
	}
}

// Sample traffic that failed is not recorded: the next start sends it.
func TestFailedSampleTrafficIsSentAgainOnTheNextStart(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("the API answered 500")
	if err := sampleOnce(context.Background(), dir, &bytes.Buffer{}, func(context.Context) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Fatalf("sampleOnce = %v, want the sending's error", err)
	}
	sent := false
	if err := sampleOnce(context.Background(), dir, &bytes.Buffer{}, func(context.Context) (string, error) { sent = true; return "o", nil }); err != nil {
		t.Fatal(err)
	}
	if !sent {
		t.Errorf("after a failed sample, the next start did not send it")
	}
}

// The README's "Try it" and the run's "Where to look" suggest the same
// load, and the README suggests no other.
func TestTheReadmeSuggestsTheLoadThatTheRunPrints(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	printed := loadCommand("127.0.0.1:8080", "127.0.0.1:9000", ".mallbots")
	if printed != suggestedLoad {
		t.Errorf("with the default addresses the run suggests %q, want %q", printed, suggestedLoad)
	}
	n := 0
	for _, line := range strings.Split(string(readme), "\n") {
		i := strings.Index(line, "bin/mallbots load ")
		if i < 0 {
			continue
		}
		n++
		if got := "./" + strings.TrimSpace(line[i:]); got != suggestedLoad {
			t.Errorf("README.md suggests %q, want the run's %q", got, suggestedLoad)
		}
	}
	if n == 0 {
		t.Errorf("README.md suggests no load; want %q", suggestedLoad)
	}
	if got := loadCommand("127.0.0.1:18080", "127.0.0.1:19000", "/tmp/mb"); got !=
		suggestedLoad+" --api http://127.0.0.1:18080 --clickhouse 127.0.0.1:19000 --data-dir /tmp/mb" {
		t.Errorf("on other addresses the run suggests %q, want the same load aimed at them", got)
	}
}
