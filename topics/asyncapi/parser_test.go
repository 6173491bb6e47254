package asyncapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/asyncapi"
)

// parsers are the npm packages @asyncapi/parser and
// @asyncapi/avro-schema-parser, which deploy/scripts/setup installs into
// ~/.cache/mallbots/asyncapi (or MALLBOTS_ASYNCAPI_DIR).
var parsers = testkit.NPM{Dir: "MALLBOTS_ASYNCAPI_DIR", Name: "asyncapi", Packages: []string{"@asyncapi/parser", "@asyncapi/avro-schema-parser"},
	Why: "validating the AsyncAPI document", Setup: "MALLBOTS_ASYNCAPI=1 ./deploy/scripts/setup"}

// requireParser returns the node executable and the node_modules directory
// holding the parsers, or skips (fails in CI) when either is missing.
func requireParser(t *testing.T) (node, modules string) { return parsers.Require(t) }

// verdict is testdata/validate.js's answer.
type verdict struct {
	Parser      string `json:"parser"`
	Parsed      bool   `json:"parsed"`
	AvroSchemas int    `json:"avroSchemas"`
	Channels    int    `json:"channels"`
	Operations  int    `json:"operations"`
	Messages    int    `json:"messages"`
	Diagnostics []struct {
		Severity int    `json:"severity"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		Path     string `json:"path"`
	} `json:"diagnostics"`
}

// errors lists the diagnostics of severity error (0) or warning (1).
func (v verdict) errors() []string {
	var out []string
	for _, d := range v.Diagnostics {
		if d.Severity <= 1 {
			out = append(out, d.Code+" at "+d.Path+": "+d.Message)
		}
	}
	return out
}

// validate runs the AsyncAPI parser on doc.
func validate(t *testing.T, doc []byte) verdict {
	t.Helper()
	node, modules := requireParser(t)
	cmd := exec.Command(node, filepath.Join("testdata", "validate.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stdin = bytes.NewReader(doc)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node testdata/validate.js: %v\n%s", err, stderr.String())
	}
	var v verdict
	if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
		t.Fatalf("read validate.js's answer: %v\n%s", err, stdout.String())
	}
	return v
}

func TestTheAsyncAPIParserAcceptsTheDocument(t *testing.T) {
	t.Parallel()
	d, doc := served(t)
	v := validate(t, doc)
	for _, e := range v.errors() {
		t.Error(e)
	}
	for _, diag := range v.Diagnostics {
		if diag.Severity > 1 {
			t.Logf("@asyncapi/parser %s says (severity %d) %s at %s: %s", v.Parser, diag.Severity, diag.Code, diag.Path, diag.Message)
		}
	}
	if !v.Parsed {
		t.Fatalf("@asyncapi/parser %s did not parse the document", v.Parser)
	}
	avro := 0
	for _, s := range d.Components.Schemas {
		if s.SchemaFormat == asyncapi.AvroSchemaFormat {
			avro++
		}
	}
	if v.Channels != len(topics.All()) || v.Operations != len(d.Operations) || v.Messages != len(d.Components.Messages) || v.AvroSchemas != avro {
		t.Errorf("@asyncapi/parser %s read %d channels, %d operations, %d messages, %d Avro schemas; the document has %d, %d, %d, %d",
			v.Parser, v.Channels, v.Operations, v.Messages, v.AvroSchemas, len(topics.All()), len(d.Operations), len(d.Components.Messages), avro)
	}
}

// The parser run above is only worth something if it refuses a broken
// document: here a small one cut from the real document, with an Avro
// schema that names a type nobody defines and an operation that sends a
// message of another channel.
func TestTheAsyncAPIParserRefusesABrokenDocument(t *testing.T) {
	t.Parallel()
	d, err := asyncapi.Generate()
	if err != nil {
		t.Fatal(err)
	}
	results, replies := topics.Results.Name, topics.SagaReplies.Name
	d.Channels = map[string]asyncapi.Channel{results: d.Channels[results], replies: d.Channels[replies]}
	var keep []string
	for id, op := range d.Operations {
		if op.Principal == "User:mallbots-external" && op.Channel.Ref == "#/channels/"+results {
			op.Messages = append(op.Messages, asyncapi.Ref{Ref: "#/channels/" + replies + "/messages/mallbots.saga.StepTimedOut"})
			d.Operations = map[string]asyncapi.Operation{id: op}
			keep = append(keep, id)
			break
		}
	}
	if len(keep) != 1 {
		t.Fatal("no operation lets User:mallbots-external receive the results")
	}
	s := d.Components.Schemas["mallbots.core.CommandResult"]
	s.Schema = json.RawMessage(strings.Replace(string(s.Schema), `"type":"string"`, `"type":"mallbots.nowhere.Missing"`, 1))
	d.Components.Schemas["mallbots.core.CommandResult"] = s
	doc, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	errs := strings.Join(validate(t, doc).errors(), "\n")
	for _, want := range []string{"avro-schema at components/schemas/mallbots.core.CommandResult", "asyncapi3-operation-messages-from-referred-channel"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the parser did not report %q; it said:\n%s", want, errs)
		}
	}
}
