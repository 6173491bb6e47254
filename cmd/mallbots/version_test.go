package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// --version names the module version and the commit, its time and
// whether the tree had changes, from what `go build` embedded; a build
// without VCS information says that it has none rather than nothing.
func TestTheVersionNamesTheCommitAndWhetherTheTreeWasModified(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261207151926-f64051015a53+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "f64051015a5346a2d2ebd5979b9a980b658d4790"},
			{Key: "vcs.time", Value: "2026-12-07T15:19:26Z"}, {Key: "vcs.modified", Value: "true"}}}
	want := "mallbots v0.0.0-20261207151926-f64051015a53+dirty (commit f64051015a5346a2d2ebd5979b9a980b658d4790, 2026-12-07T15:19:26Z, modified) go1.26.8"
	if got := describeBuild(bi); got != want {
		t.Errorf("describeBuild = %q\nwant            %q", got, want)
	}
	bi.Settings[3].Value = "false"
	if got := describeBuild(bi); strings.Contains(got, "modified") {
		t.Errorf("describeBuild of a clean tree = %q, want no \"modified\"", got)
	}
	bare := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	if got, want := describeBuild(bare), "mallbots (devel) (no VCS commit recorded) go1.26.8"; got != want {
		t.Errorf("describeBuild without VCS settings = %q, want %q", got, want)
	}
}

// `mallbots --version` of a binary built as deploy/scripts/run builds it
// (-buildvcs=auto, which wins over a GOFLAGS=-buildvcs=false) prints the
// commit checked out. Go stamps the commit only in a checkout whose .git
// is a directory (a fresh clone, as in CI), not in a `git worktree`,
// whose .git is a file: there the binary says it has no commit.
func TestMallbotsVersionPrintsTheCommitItWasBuiltFrom(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mallbots")
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=auto: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("mallbots --version: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(out))
	if !strings.HasPrefix(got, "mallbots ") || strings.Count(got, "\n") != 0 {
		t.Fatalf("mallbots --version printed %q, want one line starting with \"mallbots \"", got)
	}
	head, gitErr := exec.Command("git", "rev-parse", "HEAD").Output()
	top, topErr := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if gitErr != nil || topErr != nil {
		if !strings.Contains(got, "no VCS commit recorded") {
			t.Errorf("outside a git checkout, mallbots --version = %q, want it to say no commit is recorded", got)
		}
		return
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err == nil && !fi.IsDir() {
		if !strings.Contains(got, "no VCS commit recorded") {
			t.Errorf("in a git worktree, mallbots --version = %q, want it to say no commit is recorded", got)
		}
		return
	}
	if commit := strings.TrimSpace(string(head)); !strings.Contains(got, "(commit "+commit+", ") {
		t.Errorf("mallbots --version = %q, want it to name the commit checked out, %s", got, commit)
	}
}
