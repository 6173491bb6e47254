package sample

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// A newcomer follows the README's "Try it" after `mallbots run
// --sample-traffic`: what Try it creates and buys must be its own, so the
// sample names no store, product or customer that Try it names.
func TestTheSampleNamesNothingTryItCreates(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "## Try it")
	if start < 0 {
		t.Fatal("README.md has no \"## Try it\" section")
	}
	s = s[start:]
	if end := strings.Index(s[1:], "\n## "); end >= 0 {
		s = s[:end+1]
	}
	tryIt := map[string]bool{}
	for _, m := range regexp.MustCompile(`\\?"name\\?":\s*\\?"([^"\\]+)\\?"`).FindAllStringSubmatch(s, -1) {
		tryIt[m[1]] = true
	}
	if len(tryIt) < 3 {
		t.Fatalf("found only %v in Try it's bodies; want its store, product and customer names", tryIt)
	}
	names := []string{shopperName}
	for _, store := range catalogue {
		names = append(names, store.name)
		for _, p := range store.products {
			names = append(names, p.name)
		}
	}
	for _, n := range names {
		if tryIt[n] {
			t.Errorf("the sample traffic creates %q, which the README's Try it creates too", n)
		}
	}
}
