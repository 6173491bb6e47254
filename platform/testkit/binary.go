package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildMallbots builds cmd/mallbots into dir and returns the binary's path,
// for tests that run `mallbots` as a separate process, as a user does.
func BuildMallbots(dir string) (string, error) {
	bin := filepath.Join(dir, "mallbots")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/mallbots/mallbots/cmd/mallbots").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/mallbots: %v\n%s", err, out)
	}
	return bin, nil
}

// MainWithMallbots is the TestMain of a package whose tests share one
// mallbots binary: it builds it once into a temporary directory, sets
// *binary to its path, runs the tests and removes the directory.
func MainWithMallbots(m *testing.M, binary *string) {
	dir, err := os.MkdirTemp("", "mallbots-bin-")
	if err == nil {
		*binary, err = BuildMallbots(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
