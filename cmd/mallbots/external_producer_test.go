package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/topics"
)

// An external producer is what docs/producers.md says: with the properties
// file `mallbots run` writes and prints, used as written, the doc's Python
// example (confluent-kafka and Apache Avro) sends a CreateStore and prints
// its result, and the store is there; the doc's kcat block, run as it
// stands, sends one too and decodes its result; kcat with the same file is
// refused when it appends a forged event (issue 22's attack), and without
// credentials the broker drops the connection.
func TestAnExternalProducerSendsCommandsWithThePrintedPropertiesAndCannotForgeEvents(t *testing.T) {
	python := pythonWithConfluentKafka(t)
	kcat := needExternalTool(t, "kcat", "kcat")
	in := startInstance(t)
	props := filepath.Join(in.dataDir, "credentials", "external.properties")
	if in.countLog(props) == 0 {
		t.Errorf("mallbots run did not print the external producers' properties file %s", props)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	// The doc's example, as a user runs it.
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, externalProducerExample, props, "--registry", "http://"+in.registry,
		"--name", "Kafka Corner", "--location", "Level 2", "--timeout", "20")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", python, externalProducerExample, err, stdout.String(), stderr.String())
	}
	var result struct {
		CommandID, AggregateType, AggregateID string
		Accepted                              bool
		Version                               int64
	}
	if err := json.Unmarshal(stdout.Bytes(), &result); err != nil {
		t.Fatalf("the example printed no result as JSON: %v\n%s", err, stdout.String())
	}
	if !result.Accepted || result.Version != 1 || result.AggregateType != "store" || result.CommandID == "" {
		t.Fatalf("the example's CreateStore: %s, want accepted at version 1", stdout.String())
	}
	store := in.api().Do("GET", "/api/stores/"+result.AggregateID, nil).Expect(t, http.StatusOK)
	if store.S("name") != "Kafka Corner" || store.S("location") != "Level 2" || store.N("version") != 1 {
		t.Fatalf("the store the example created reads %s", store.Raw)
	}

	// The doc's kcat block, as it stands, aimed at this instance.
	needExternalTool(t, "jq", "jq")
	block := kcatBlock(t)
	sh := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", block)
	sh.Dir = "../.."
	sh.Env = append(os.Environ(), "MALLBOTS_EXTERNAL_PROPERTIES="+props, "MALLBOTS_SCHEMA_REGISTRY=http://"+in.registry)
	stdout.Reset()
	stderr.Reset()
	sh.Stdout, sh.Stderr = &stdout, &stderr
	if err := sh.Run(); err != nil {
		t.Fatalf("the kcat block of %s: %v\nstdout: %s\nstderr: %s", producersDoc, err, stdout.String(), stderr.String())
	}
	var viaKcat struct {
		AggregateType, AggregateID string
		Accepted                   bool
		Version                    int64
	}
	if err := json.Unmarshal(stdout.Bytes(), &viaKcat); err != nil || !viaKcat.Accepted || viaKcat.Version != 1 || viaKcat.AggregateType != "store" {
		t.Fatalf("the kcat block printed %s (%v), want an accepted CreateStore at version 1", stdout.String(), err)
	}
	if s := in.api().Do("GET", "/api/stores/"+viaKcat.AggregateID, nil).Expect(t, http.StatusOK); s.S("name") != "Kcat Corner" {
		t.Fatalf("the store the kcat block created reads %s", s.Raw)
	}

	// kcat logs in with the same file: the refusals below are the ACLs'.
	if out, err := exec.CommandContext(ctx, kcat, "-F", props, "-L", "-m", "10").CombinedOutput(); err != nil ||
		!strings.Contains(string(out), topics.Stores.Commands.Name) {
		t.Fatalf("kcat -F %s -L: %v\n%s", props, err, out)
	}
	events := topics.Stores.Events.Name
	forge := func(args ...string) (string, error) {
		c := exec.CommandContext(ctx, kcat, append(args, "-P", "-t", events, "-k", result.AggregateID,
			"-X", "message.timeout.ms=5000")...)
		c.Stdin = strings.NewReader("Hacked Store\n")
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if out, err := forge("-F", props); err == nil || !strings.Contains(out, "Topic authorization failed") {
		t.Errorf("kcat -F external.properties -P -t %s: %v, want Topic authorization failed\n%s", events, err, out)
	}
	if out, err := forge("-b", in.kafka); err == nil || !strings.Contains(out, "Disconnected") {
		t.Errorf("kcat -b %s -P -t %s without credentials: %v, want the connection dropped\n%s", in.kafka, events, err, out)
	}
	// The log holds the example's StoreCreated for the store, and no forgery.
	if n := eventsPerAggregate(t, in, events)[result.AggregateID]; n != 1 {
		t.Errorf("%s holds %d records keyed by the store %s, want 1 (its StoreCreated)", events, n, result.AggregateID)
	}
	in.stop()
}

// needExternalTool finds an external producer's tool on PATH: missing, the
// test skips, or fails under CI=true with what to install.
func needExternalTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missingExternalTool(t, name+" is not on PATH", pkg)
	}
	return path
}

// pythonWithConfluentKafka finds a Python that imports confluent_kafka and
// avro: python3 on PATH, else Debian's /usr/bin/python3, which Debian's
// python3-confluent-kafka and python3-avro are for (a pyenv or venv
// python3 earlier on PATH does not see them).
func pythonWithConfluentKafka(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import confluent_kafka, avro.io").Run() == nil {
			return path
		}
		tried = append(tried, path)
	}
	missingExternalTool(t, fmt.Sprintf("no python3 imports confluent_kafka and avro (tried %v)", tried), "python3-confluent-kafka python3-avro")
	return ""
}

func missingExternalTool(t *testing.T, what, pkg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: install it with ./deploy/scripts/setup (apt-get install %s); CI never skips a test for a missing dependency", what, pkg)
	}
	t.Skipf("%s: install it with ./deploy/scripts/setup (apt-get install %s) to run this test", what, pkg)
}

// kcatBlock is the shell block of docs/producers.md's kcat section.
func kcatBlock(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(producersDoc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i := strings.Index(s, "\n## kcat\n")
	if i < 0 {
		t.Fatalf("%s has no \"## kcat\" section", producersDoc)
	}
	s = s[i:]
	start := strings.Index(s, "```sh\n")
	if start < 0 {
		t.Fatalf("the kcat section of %s has no sh block", producersDoc)
	}
	s = s[start+len("```sh\n"):]
	end := strings.Index(s, "```\n")
	if end < 0 {
		t.Fatalf("the kcat block of %s does not end", producersDoc)
	}
	return s[:end]
}
