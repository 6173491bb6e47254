package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mallbots/mallbots/topics"
)

const (
	testWriterPassword  = "writer-pass-for-the-test"
	testAnalystPassword = "analyst-pass-for-the-test"
)

func loadCompose(t *testing.T, env ...string) (*types.Project, error) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := composecli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		composecli.WithWorkingDirectory(root), composecli.WithEnv(env), composecli.WithProfiles([]string{"load"}), composecli.WithName("mallbots"))
	if err != nil {
		t.Fatal(err)
	}
	return composecli.ProjectFromOptions(context.Background(), opts)
}

// TestComposeFileIsConsistentWithTheBinary parses docker-compose.yml as
// docker compose does (compose-go: interpolation, anchors, validation) and
// checks every service.
func TestComposeFileIsConsistentWithTheBinary(t *testing.T) {
	if _, err := loadCompose(t); err == nil || !strings.Contains(err.Error(), "MALLBOTS_CLICKHOUSE_WRITER_PASSWORD") {
		t.Errorf("without the passwords the file must not load (no default password): %v", err)
	}
	p, err := loadCompose(t, "MALLBOTS_CLICKHOUSE_WRITER_PASSWORD="+testWriterPassword, "MALLBOTS_CLICKHOUSE_ANALYST_PASSWORD="+testAnalystPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kafka-1", "kafka-2", "kafka-3", "schema-registry", "clickhouse", "setup", "migrate", "processors", "saga", "bots", "projections", "api", "shoppers",
		"prometheus", "grafana", "otel-collector", "jaeger"} {
		if _, err := p.GetService(want); err != nil {
			t.Errorf("no service %s", want)
		}
	}
	var runs [][]string
	commands := map[string]bool{}
	for name, s := range p.Services {
		where := "docker-compose.yml service " + name
		if s.Image == "" && s.Build == nil {
			t.Errorf("%s: neither image nor build", where)
		}
		for dep := range s.DependsOn {
			if _, ok := p.Services[dep]; !ok {
				t.Errorf("%s: depends on %s, which is no service", where, dep)
			}
		}
		for _, sec := range s.Secrets {
			if _, ok := p.Secrets[sec.Source]; !ok {
				t.Errorf("%s: secret %s is not declared", where, sec.Source)
			}
		}
		for _, part := range append(append([]string(nil), s.Entrypoint...), s.Command...) {
			if strings.Contains(part, testWriterPassword) || strings.Contains(part, testAnalystPassword) {
				t.Errorf("%s: a password is on the command line: %q", where, part)
			}
		}
		if s.GetScale() > 1 && len(s.Ports) > 0 {
			t.Errorf("%s: %d replicas cannot share published ports", where, s.GetScale())
		}
		if !strings.HasPrefix(s.Image, "mallbots:") {
			if strings.Contains(s.Image, ":latest") || !strings.Contains(s.Image, ":") {
				t.Errorf("%s: image %s is not pinned", where, s.Image)
			}
			continue
		}
		// A MallBots container: the image's entrypoint is the binary.
		if s.Build == nil {
			t.Errorf("%s: the MallBots image is built here (build: deploy/Dockerfile), or compose would try to pull it", where)
		} else if s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("%s: built from %s, want deploy/Dockerfile", where, s.Build.Dockerfile)
		}
		args := []string(s.Command)
		if len(s.Entrypoint) > 0 {
			if s.Entrypoint[0] != "/usr/local/bin/mallbots" {
				t.Errorf("%s: entrypoint %v does not run the binary", where, s.Entrypoint)
			}
			args = append(append([]string(nil), s.Entrypoint[1:]...), s.Command...)
		}
		env := map[string]string{}
		for k, v := range s.Environment {
			if v != nil {
				env[k] = *v
			}
		}
		if s.Environment["MALLBOTS_CLICKHOUSE_PASSWORD_FILE"] != nil && len(s.Secrets) == 0 {
			t.Errorf("%s: reads its password from a file but mounts no secret", where)
		}
		got := checkInvocation(t, invocation{where: where, args: args, env: env})
		commands[got.command] = true
		if got.command == "run" {
			runs = append(runs, got.components)
			if s.HealthCheck == nil || s.HealthCheck.Disable || !strings.Contains(strings.Join(s.HealthCheck.Test, " "), "/readyz") {
				t.Errorf("%s: a role needs a healthcheck on /readyz", where)
			}
			for _, c := range got.components {
				if isProcessorGroup(c) && s.GetScale() < 2 {
					t.Errorf("%s: runs the aggregate %s with %d replica(s); processors run at least 2, sharing the partitions", where, c, s.GetScale())
				}
			}
		}
	}
	if s, err := p.GetService("processors"); err == nil && s.GetScale() < 2 {
		t.Errorf("processors: %d replicas, want at least 2 (they share the partitions)", s.GetScale())
	}
	for _, c := range []string{"topics apply", "migrate", "run", "load"} {
		if !commands[c] {
			t.Errorf("no service runs mallbots %s", c)
		}
	}
	coversEveryComponent(t, "docker-compose.yml", runs)
}

// isProcessorGroup says whether a component is one of the aggregates'
// goka groups.
func isProcessorGroup(c string) bool {
	for _, a := range topics.Aggregates() {
		if strings.TrimPrefix(a.Group, "mallbots.") == c {
			return true
		}
	}
	return false
}
