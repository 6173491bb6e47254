package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// NPM names npm packages that deploy/scripts/setup installs into a cache
// directory for the checks that run JavaScript (chDB, the AsyncAPI parser).
type NPM struct {
	// Dir is the directory's environment variable (e.g. MALLBOTS_CHDB_DIR);
	// unset, the directory is ~/.cache/mallbots/<Name>.
	Dir, Name string
	// Packages must each be under node_modules (e.g. "chdb",
	// "@asyncapi/parser").
	Packages []string
	// Why and Setup complete the message of a missing package: what needs
	// it, and the setup command that installs it.
	Why, Setup string
}

// Require returns the node executable and the node_modules directory
// holding the packages. When either is missing the test is skipped, or,
// with CI=true (where nothing may skip), fails, saying how to install them.
func (p NPM) Require(t testing.TB) (node, modules string) {
	t.Helper()
	dir := os.Getenv(p.Dir)
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("find the cache directory: %v (set %s)", err, p.Dir)
		}
		dir = filepath.Join(base, "mallbots", p.Name)
	}
	modules = filepath.Join(dir, "node_modules")
	node, err := exec.LookPath("node")
	for _, pkg := range p.Packages {
		if err == nil {
			_, err = os.Stat(filepath.Join(modules, pkg, "package.json"))
		}
	}
	if err != nil {
		msg := p.Why + " needs node and the npm packages " + strings.Join(p.Packages, " and ") + " in " + modules + ": run " + p.Setup + " (CI does it): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, modules
}
