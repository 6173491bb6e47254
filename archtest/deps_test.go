// Package archtest keeps the import direction of CONTRIBUTING.md
// (Layering): the folders tell the data's way, so an import against that
// way is a failing test that names the import chain, not a review comment.
// It has tests only.
//
// The import graph comes from `go list -deps -json ./...` over the whole
// module (production code, not tests).
package archtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

const module = "github.com/mallbots/mallbots"

// listed is what `go list -json` says about one package.
type listed struct {
	ImportPath string
	Name       string
	Imports    []string
	DepOnly    bool
	Error      *struct{ Err string }
}

// graph is the import graph of the module and everything it depends on.
type graph map[string]*listed

// load returns the module's import graph, listed once per test binary.
func load(t *testing.T) graph {
	t.Helper()
	g, err := loadGraph()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var loadGraph = sync.OnceValues(func() (graph, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMOD: %w", err)
	}
	list := exec.Command("go", "list", "-deps", "-json=ImportPath,Name,Imports,DepOnly,Error", "./...")
	list.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	out, err := list.Output()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		return nil, fmt.Errorf("go list: %w\n%s", err, exit.Stderr)
	} else if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	g := graph{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("read go list output: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		g[p.ImportPath] = &p
	}
	if len(g.ours()) == 0 {
		return nil, fmt.Errorf("go list found no package of %s", module)
	}
	return g, nil
})

// pkg finds a package by module-relative or full import path.
func (g graph) pkg(path string) *listed {
	if p := g[abs(path)]; p != nil {
		return p
	}
	return g[path]
}

// ours lists the module's packages, by path inside the module
// ("processors/stores").
func (g graph) ours() []string {
	var out []string
	for ip, p := range g {
		if !p.DepOnly && (ip == module || strings.HasPrefix(ip, module+"/")) {
			out = append(out, rel(ip))
		}
	}
	slices.Sort(out)
	return out
}

// rel shortens a module import path to its path inside the module; other
// paths stay as they are.
func rel(importPath string) string {
	if importPath == module {
		return "."
	}
	return strings.TrimPrefix(importPath, module+"/")
}

// abs is the inverse of rel for module packages.
func abs(pkg string) string {
	if pkg == "." {
		return module
	}
	return module + "/" + pkg
}

// edge is one direct import, in module-relative paths.
type edge struct{ from, to string }

// chain is an import path from a package to a forbidden one.
type chain []string

func (c chain) String() string { return strings.Join(c, " → ") }

// reach finds, for every family of forbidden packages reachable from start,
// the shortest import chain to it. Search does not continue past a forbidden
// package (its own imports are its business) nor along an exempt edge.
func (g graph) reach(start string, forbidden func(dep string) (family string, bad bool), exempt map[edge]bool) map[string]chain {
	found := map[string]chain{}
	parent := map[string]string{start: ""}
	queue := []string{start}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p := g.pkg(cur)
		if p == nil {
			continue
		}
		for _, imp := range p.Imports {
			dep := rel(imp)
			if _, seen := parent[dep]; seen || exempt[edge{cur, dep}] {
				continue
			}
			parent[dep] = cur
			if family, bad := forbidden(dep); bad {
				if _, ok := found[family]; !ok {
					var c chain
					for n := dep; n != ""; n = parent[n] {
						c = append(chain{n}, c...)
					}
					found[family] = c
				}
				continue
			}
			queue = append(queue, dep)
		}
	}
	return found
}

// rule is one dependency the layout forbids.
type rule struct {
	name string
	// applies says whether the rule governs a module package.
	applies func(pkg string) bool
	// forbidden says whether pkg may not depend on dep, and names the family
	// of dep ("goka") for the message.
	forbidden func(pkg, dep string) (family string, bad bool)
	// known are the imports that break the rule today, each with what would
	// mend it. The search skips these edges, so no new route to a forbidden
	// package can hide behind them; the test fails once an edge no longer
	// breaks the rule, so the entry is deleted with the fix.
	known []known
}

type known struct {
	edge
	mend string
}

func under(prefix string) func(string) bool {
	return func(pkg string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }
}

// kafkaClients are the Kafka client libraries, by module path.
var kafkaClients = map[string]string{
	"github.com/lovoo/goka":     "goka",
	"github.com/IBM/sarama":     "sarama",
	"github.com/Shopify/sarama": "sarama",
	"github.com/twmb/franz-go":  "franz-go",
}

func clients(names ...string) func(pkg, dep string) (string, bool) {
	return func(_, dep string) (string, bool) {
		for prefix, name := range kafkaClients {
			if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
				for _, n := range names {
					if n == name {
						return name, true
					}
				}
			}
		}
		return "", false
	}
}

// sharedCores are the processors packages every context builds on.
var sharedCores = map[string]bool{"engine": true, "aggregate": true}

// processorContext returns x for processors/x/..., or "".
func processorContext(pkg string) string {
	parts := strings.Split(pkg, "/")
	if len(parts) < 2 || parts[0] != "processors" {
		return ""
	}
	return parts[1]
}

// layers are the module's top-level folders, bottom first: a package
// imports only from its own layer or those below it (CONTRIBUTING.md,
// Layering). The contract (the records, the topic catalogue and the
// documents the binary serves, docs) is what
// every layer names; the platform is the runtime under the pipeline (goka's
// configuration, the embedded broker, registry and ClickHouse, tracing,
// metrics, Kafka auth, test helpers); the pipeline's stages follow the
// data (emitters, processors, views); app assembles the system and serves
// the HTTP API; tools run beside it (bench, chaos, load, sample traffic,
// repartition) and nothing but cmd imports them.
var layers = [][]string{
	{"schemas", "topics", "docs"},
	{"platform"},
	{"emitters"},
	{"processors"},
	{"views"},
	{"app"},
	{"tools"},
	{"cmd"},
	{"archtest"},
}

// layerOf returns the rank and name of pkg's layer, or -1 for a folder
// that has no place in layers.
func layerOf(pkg string) (int, string) {
	top, _, _ := strings.Cut(pkg, "/")
	for i, names := range layers {
		if slices.Contains(names, top) {
			return i, top
		}
	}
	return -1, top
}

var rules = []rule{
	{
		name:    "every import goes down the layers (contract, platform, emitters, processors, views, app, tools, cmd)",
		applies: func(string) bool { return true },
		forbidden: func(pkg, dep string) (string, bool) {
			from, _ := layerOf(pkg)
			to, name := layerOf(dep)
			if to < 0 {
				return "", false // a library: the other rules govern those
			}
			return name + " (a higher layer)", to > from
		},
	},
	{
		name:      "the pure core (processors/aggregate) uses no Kafka client",
		applies:   under("processors/aggregate"),
		forbidden: clients("goka", "sarama", "franz-go"),
	},
	{
		name:      "the schema contract (schemas/...) does not depend on goka or sarama",
		applies:   under("schemas"),
		forbidden: clients("goka", "sarama"),
	},
	{
		name:    "a processor context reads another only through goka Lookup, never by import",
		applies: under("processors"),
		forbidden: func(pkg, dep string) (string, bool) {
			x, y := processorContext(pkg), processorContext(dep)
			if y == "" || y == x || sharedCores[y] {
				return "", false
			}
			return "processors/" + y, true
		},
	},
	{
		name:    "views never depend on processors",
		applies: under("views"),
		forbidden: func(_, dep string) (string, bool) {
			return "processors", under("processors")(dep)
		},
	},
	{
		name:    "the HTTP API never depends on the web console, which is built on it",
		applies: under("app/httpapi"),
		forbidden: func(_, dep string) (string, bool) {
			return "app/console", under("app/console")(dep)
		},
	},
	{
		name:    "emitters never depend on processors",
		applies: under("emitters"),
		forbidden: func(_, dep string) (string, bool) {
			return "processors", under("processors")(dep)
		},
	},
}

func TestDependenciesFollowTheDataFlow(t *testing.T) {
	g := load(t)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			exempt := map[edge]bool{}
			for _, k := range r.known {
				exempt[k.edge] = true
			}
			for _, v := range g.violations(r, exempt) {
				t.Error(v)
			}
			for _, k := range r.known {
				without := maps.Clone(exempt)
				delete(without, k.edge)
				if len(g.violations(r, without)) == 0 {
					t.Errorf("known violation %s → %s no longer breaks the rule: delete it from the rule's known list", k.from, k.to)
				}
			}
		})
	}
}

// violations lists, for every package r governs, the import chains that
// break r, skipping exempt edges.
func (g graph) violations(r rule, exempt map[edge]bool) []string {
	var out []string
	for _, pkg := range g.ours() {
		if !r.applies(pkg) {
			continue
		}
		forbidden := func(dep string) (string, bool) { return r.forbidden(pkg, dep) }
		found := g.reach(pkg, forbidden, exempt)
		for _, family := range slices.Sorted(maps.Keys(found)) {
			out = append(out, fmt.Sprintf("%s depends on %s: %s", pkg, family, found[family]))
		}
	}
	return out
}

// Packages are named for what they provide (CONTRIBUTING.md, Layering).
func TestNoPackageIsNamedCommonOrUtil(t *testing.T) {
	g := load(t)
	for _, pkg := range g.ours() {
		p := g.pkg(pkg)
		for _, name := range []string{p.Name, path.Base(pkg)} {
			switch strings.ToLower(name) {
			case "common", "util", "utils":
				t.Errorf("package %s is named %q: name it for what it provides", pkg, name)
			}
		}
	}
}

// The rules must see the packages they govern, or they pass vacuously.
func TestTheRulesSeeThePackagesTheyGovern(t *testing.T) {
	g := load(t)
	for _, r := range rules {
		n := 0
		for _, pkg := range g.ours() {
			if r.applies(pkg) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("rule %q governs no package of the module", r.name)
		}
	}
}

// The search itself, on a made-up graph: it names the shortest chain to each
// forbidden family, stops at the first forbidden package, and skips exempt
// edges.
func TestReachNamesTheShortestImportChain(t *testing.T) {
	g := graph{}
	for from, imports := range map[string][]string{
		abs("views/a"):          {abs("views/b"), abs("schemas")},
		abs("views/b"):          {abs("processors/x")},
		abs("schemas"):          {abs("topics")},
		abs("topics"):           {"github.com/lovoo/goka"},
		abs("processors/x"):     {"github.com/lovoo/goka"},
		"github.com/lovoo/goka": {"github.com/IBM/sarama"},
	} {
		g[from] = &listed{ImportPath: from, Imports: imports}
	}
	forbidden := func(dep string) (string, bool) {
		if f, bad := clients("goka", "sarama")("", dep); bad {
			return f, true
		}
		return "processors", under("processors")(dep)
	}

	got := g.reach("views/a", forbidden, nil)

	want := map[string]string{
		"processors": "views/a → views/b → processors/x",
		"goka":       "views/a → schemas → topics → github.com/lovoo/goka",
	}
	if len(got) != len(want) {
		t.Fatalf("reach found %v, want %v", got, want)
	}
	for family, c := range want {
		if got[family].String() != c {
			t.Errorf("%s: chain %q, want %q", family, got[family], c)
		}
	}

	exempt := map[edge]bool{{"schemas", "topics"}: true, {"views/b", "processors/x"}: true}
	if got := g.reach("views/a", forbidden, exempt); len(got) != 0 {
		t.Errorf("reach along exempt edges found %v, want nothing", got)
	}
}

// What the processor rule allows: a context's own packages and the shared
// cores; not another context, and a shared core depends on no context.
func TestProcessorContextsMeetOnlyInTheSharedCores(t *testing.T) {
	r := rules[slices.IndexFunc(rules, func(r rule) bool { return strings.HasPrefix(r.name, "a processor context") })]
	for _, tc := range []struct {
		pkg, dep string
		bad      bool
	}{
		{"processors/stores", "processors/engine", false},
		{"processors/stores", "processors/aggregate", false},
		{"processors/baskets", "processors/baskets/internal/pricing", false},
		{"processors/saga", "topics", false},
		{"processors/baskets", "processors/stores", true},
		{"processors/engine", "processors/stores", true},
		{"processors/aggregate/aggregatetest", "processors/baskets", true},
	} {
		if _, bad := r.forbidden(tc.pkg, tc.dep); bad != tc.bad {
			t.Errorf("%s importing %s: forbidden %v, want %v", tc.pkg, tc.dep, bad, tc.bad)
		}
	}
}

// Every folder of the module has a place in the layers: a new top-level
// folder is placed there before it can hold code.
func TestEveryPackageHasALayer(t *testing.T) {
	for _, pkg := range load(t).ours() {
		if rank, top := layerOf(pkg); rank < 0 {
			t.Errorf("%s: its folder %q is in no layer; add it to layers (CONTRIBUTING.md, Layering)", pkg, top)
		}
	}
}

// The layers rule on a made-up graph: an upward import, direct or through a
// chain, is named; imports down or within a layer are not.
func TestAnUpwardImportBreaksTheLayers(t *testing.T) {
	g := graph{}
	for from, imports := range map[string][]string{
		abs("platform/gokart"):   {abs("topics"), abs("app/system")},
		abs("processors/engine"): {abs("platform/tracing"), abs("emitters")},
		abs("views/state"):       {abs("processors/engine")},
		abs("emitters"):          {abs("tools/loadgen")},
		abs("app/system"):        {abs("views/state")},
		abs("topics"):            {abs("schemas")},
		abs("schemas"):           nil,
		abs("platform/tracing"):  nil,
		abs("tools/loadgen"):     nil,
	} {
		g[from] = &listed{ImportPath: from, Imports: imports}
	}
	r := rules[slices.IndexFunc(rules, func(r rule) bool { return strings.HasPrefix(r.name, "every import goes down") })]
	got := g.violations(r, nil)
	want := []string{
		"app/system depends on tools (a higher layer): app/system → views/state → processors/engine → emitters → tools/loadgen",
		"emitters depends on tools (a higher layer): emitters → tools/loadgen",
		"platform/gokart depends on app (a higher layer): platform/gokart → app/system",
		"processors/engine depends on tools (a higher layer): processors/engine → emitters → tools/loadgen",
		"views/state depends on tools (a higher layer): views/state → processors/engine → emitters → tools/loadgen",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
