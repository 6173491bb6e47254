package main_test

import (
	"os"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/app/system"
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

func TestTheComponentsFlagNamesEveryComponent(t *testing.T) {
	help, err := os.ReadFile("run.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range system.ComponentNames() {
		if !strings.Contains(string(help), " "+name+",") && !strings.Contains(string(help), " "+name+".\"") {
			t.Errorf("the --components help does not name %q", name)
		}
	}
}
