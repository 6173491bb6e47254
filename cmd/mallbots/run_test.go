package main

import (
	"strings"
	"testing"
)

// --memory-limit takes a size as GOMEMLIMIT does, or off; anything else is
// refused with what it wants, before anything starts.
func TestTheMemoryLimitIsReadAsGOMEMLIMITReadsIt(t *testing.T) {
	for in, want := range map[string]int64{
		"900MiB": 900 << 20, "2GiB": 2 << 30, "512KiB": 512 << 10, "1TiB": 1 << 40, "1000000B": 1e6, "1000000": 1e6, "off": 0,
	} {
		if got, err := parseMemoryLimit(in); err != nil || got != want {
			t.Errorf("parseMemoryLimit(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"900MB", "1.5GiB", "-1MiB", "0", "GiB", "lots", "9223372036854775807KiB"} {
		if got, err := parseMemoryLimit(in); err == nil || !strings.Contains(err.Error(), "want a size such as 900MiB") {
			t.Errorf("parseMemoryLimit(%q) = %d, %v; want an error saying what it takes", in, got, err)
		}
	}
}
