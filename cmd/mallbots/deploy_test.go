package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/app/system"
)

// The deployment tests (compose_test.go, k8s_test.go) check each MallBots
// container of docker-compose.yml and deploy/k8s against this binary: its
// command line parses with the real CLI, every MALLBOTS_* variable is a
// flag's twin or a secret's, secrets are never literal, the components
// exist, and `run` is given external infrastructure (a container has no
// clickhouse-server to start).

// invocation is one MallBots container as a deployment describes it.
type invocation struct {
	where string
	args  []string          // after the binary
	env   map[string]string // literal values
	// secretRefs are variables whose values come from a secret store
	// (a Kubernetes secretKeyRef), not literals.
	secretRefs []string
}

// checked is what checkInvocation learnt.
type checked struct {
	command    string   // "run", "topics apply", …
	components []string // for run
}

func checkInvocation(t *testing.T, inv invocation) checked {
	t.Helper()
	_, flagEnvs := cliFlags(t)
	secrets := secretEnvs()
	var out checked
	for name, value := range inv.env {
		if !strings.HasPrefix(name, "MALLBOTS_") {
			continue
		}
		switch {
		case secrets[name] && !strings.HasSuffix(name, "_FILE"):
			// A literal secret value would sit in the deployment file;
			// only the user names may be literal.
			if strings.Contains(name, "PASSWORD") {
				t.Errorf("%s: %s is a literal password: use %s_FILE with a secret", inv.where, name, name)
			}
		case secrets[name]:
			if !strings.HasPrefix(value, "/") {
				t.Errorf("%s: %s=%q is not an absolute file path", inv.where, name, value)
			}
		case !flagEnvs[name]:
			t.Errorf("%s: the binary reads no %s (no flag has it as its twin, and it is no secret)", inv.where, name)
		}
	}
	for _, name := range inv.secretRefs {
		if !secrets[name] && !flagEnvs[name] {
			t.Errorf("%s: the binary reads no %s", inv.where, name)
		}
	}
	for _, a := range inv.args {
		l := strings.ToLower(a)
		if strings.Contains(l, "password") || strings.Contains(l, "secret") {
			t.Errorf("%s: argument %q looks like a secret on the command line (ps shows it)", inv.where, a)
		}
	}

	// Parse with the real CLI, the environment as the container has it.
	for _, e := range os.Environ() {
		if name, _, _ := strings.Cut(e, "="); strings.HasPrefix(name, "MALLBOTS_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	for name, value := range inv.env {
		if strings.HasPrefix(name, "MALLBOTS_") {
			t.Setenv(name, value)
		}
	}
	k, c := parser(t)
	ctx, err := k.Parse(inv.args)
	if err != nil {
		t.Errorf("%s: mallbots %s: %v", inv.where, strings.Join(inv.args, " "), err)
		return out
	}
	out.command = ctx.Command()
	if out.command == "run" {
		out.components = strings.Split(c.Run.Components, ",")
		known := system.ComponentNames()
		for _, comp := range out.components {
			if n := strings.TrimPrefix(comp, "-"); n != "all" && n != "none" && !slices.Contains(known, n) {
				t.Errorf("%s: unknown component %q", inv.where, comp)
			}
		}
		if len(c.Run.Brokers) == 0 || c.Run.SchemaRegistry == "" || c.Run.Clickhouse == "" {
			t.Errorf("%s: run without --brokers, --schema-registry and --clickhouse would start the embedded broker, registry and ClickHouse in the container", inv.where)
		}
		if strings.HasPrefix(c.Run.HTTPAddr, "127.") {
			t.Errorf("%s: the HTTP address %s is unreachable for probes from outside the container", inv.where, c.Run.HTTPAddr)
		}
	}
	return out
}

// coversEveryComponent checks that the run invocations together run every
// component exactly where the deployment says (each at least once).
func coversEveryComponent(t *testing.T, where string, runs [][]string) {
	t.Helper()
	on := map[string]bool{}
	for _, comps := range runs {
		for _, c := range comps {
			if c == "all" {
				for _, n := range system.ComponentNames() {
					on[n] = true
				}
				continue
			}
			on[c] = true
		}
	}
	for _, n := range system.ComponentNames() {
		if !on[n] {
			t.Errorf("%s: no MallBots service runs the component %s", where, n)
		}
	}
}
