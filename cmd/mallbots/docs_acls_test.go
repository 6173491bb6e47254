package main_test

import (
	"os"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/topics"
)

func TestTheACLMatrixInTheDocsIsTheCatalogues(t *testing.T) {
	doc, err := os.ReadFile("../../docs/topics.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), topics.MarkdownACLs()) {
		t.Fatalf("docs/topics.md is out of date: regenerate its principals and ACLs with `go run ./cmd/mallbots topics acls`")
	}
}
