package main

import (
	"bytes"
	"testing"

	"github.com/mallbots/mallbots/topics/asyncapi"
)

func TestTopicsAsyncAPIPrintsTheServedDocument(t *testing.T) {
	k, _ := parser(t)
	ctx, err := k.Parse([]string{"topics", "asyncapi"})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Command() != "topics asyncapi" {
		t.Fatalf("`mallbots topics asyncapi` selects %q", ctx.Command())
	}
	var out bytes.Buffer
	if err := writeAsyncAPI(&out); err != nil {
		t.Fatal(err)
	}
	want, err := asyncapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("`mallbots topics asyncapi` printed %d bytes that are not the document GET /api/asyncapi.json serves", out.Len())
	}
}
