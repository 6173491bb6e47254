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

// externalProducerExample is the external producer's worked example of
// docs/producers.md.
const externalProducerExample = "../../docs/examples/produce_command.py"

// producersDoc is the page of the external producers' worked examples.
const producersDoc = "../../docs/producers.md"

// docs/producers.md quotes the external producer's worked example whole, in
// one python block, so that what the doc shows is what
// TestAnExternalProducerSendsCommandsWithThePrintedPropertiesAndCannotForgeEvents runs.
func TestTheDocsQuoteTheExternalProducerExampleAsItIs(t *testing.T) {
	doc, err := os.ReadFile(producersDoc)
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(externalProducerExample)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```python\n"+string(example)+"```\n") {
		t.Fatalf("%s does not quote %s as it is: copy the file into its python block", producersDoc, externalProducerExample)
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
