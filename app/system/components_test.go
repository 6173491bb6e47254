package system

import (
	"strings"
	"testing"
)

func TestComponentsSelectWhatAnInstanceRuns(t *testing.T) {
	for _, tc := range []struct {
		list []string
		name string
		runs bool
	}{
		{nil, "payments", true},
		{[]string{"all"}, "payments", true},
		{[]string{"all", "-payments"}, "payments", false},
		{[]string{"all", "-payments"}, "orders", true},
		{[]string{"api", "projection.events"}, "api", true},
		{[]string{"api", "projection.events"}, "orders", false},
		{[]string{"-api", "api"}, "api", true},
		{[]string{"none"}, "api", false},
		{[]string{"none"}, "orders", false},
	} {
		if got := (Config{Components: tc.list}).runs(tc.name); got != tc.runs {
			t.Errorf("%v runs %s = %v, want %v", tc.list, tc.name, got, tc.runs)
		}
	}
}

func TestAnUnknownComponentIsRefusedNamingTheKnownOnes(t *testing.T) {
	err := validComponents([]string{"all", "-paymnets"})
	if err == nil || !strings.Contains(err.Error(), `unknown component "-paymnets"`) || !strings.Contains(err.Error(), "payments") {
		t.Fatalf("got %v", err)
	}
	if err := validComponents(append([]string{"all"}, ComponentNames()...)); err != nil {
		t.Fatal(err)
	}
}
