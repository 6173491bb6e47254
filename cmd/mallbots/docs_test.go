package main_test

import (
	"os"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/topics"
)

func TestTheTopicTableInTheDocsIsTheCatalogue(t *testing.T) {
	doc, err := os.ReadFile("../../docs/topics.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), topics.Markdown()) {
		t.Fatalf("docs/topics.md is out of date: regenerate its table with `go run ./cmd/mallbots topics list`")
	}
}
