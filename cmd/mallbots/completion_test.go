package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// `mallbots completion SHELL` prints the hook that README's "Shell
// completion" tells a user to eval: it points the shell at this binary.
func TestCompletionPrintsAHookForEachShell(t *testing.T) {
	abs, err := filepath.Abs(binary)
	if err != nil {
		t.Fatal(err)
	}
	for shell, want := range map[string]string{
		"bash": "complete -o default -C '" + abs + "' mallbots\n",
		"zsh":  "bashcompinit\ncomplete -o default -C '" + abs + "' mallbots\n",
		"fish": "complete -f -c mallbots -a '(__complete_mallbots)'\n",
	} {
		out, err := exec.Command(binary, "completion", shell).Output()
		if err != nil {
			t.Fatalf("mallbots completion %s: %v", shell, err)
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("mallbots completion %s printed\n%s\nwant it to contain\n%s", shell, out, want)
		}
		if shell == "fish" && !strings.Contains(string(out), "'"+abs+"'") {
			t.Errorf("mallbots completion fish does not call the binary %s:\n%s", abs, out)
		}
	}
	if err := exec.Command(binary, "completion", "powershell").Run(); err == nil {
		t.Errorf("mallbots completion powershell succeeded, want it refused (bash, zsh, fish)")
	}
}

// What the hook does: the shell runs the binary with COMP_LINE, and it
// answers with the commands, flags and enum values that fit.
func TestTheBinaryCompletesCommandsFlagsAndValues(t *testing.T) {
	for line, want := range map[string]string{
		"mallbots ru":             "run",
		"mallbots comp":           "completion",
		"mallbots load --sho":     "--shoppers",
		"mallbots token --role k": "kiosk",
		"mallbots --vers":         "--version",
	} {
		cmd := exec.Command(binary)
		cmd.Env = append(os.Environ(), "COMP_LINE="+line)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("COMP_LINE=%q mallbots: %v", line, err)
		}
		if got := strings.Fields(string(out)); !slices.Contains(got, want) {
			t.Errorf("COMP_LINE=%q mallbots answered %q, want %q among them", line, got, want)
		}
	}
}
