package browsertest

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/system"
	"github.com/mallbots/mallbots/app/system/systemtest"
	"github.com/mallbots/mallbots/platform/chserver"
)

var (
	sys *system.System
	// browser is the path of the Chromium binary.
	browser string

	screenshots = flag.String("screenshots", "", "save a PNG of each page into this folder")
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

// missing reports a dependency the browser tests cannot run without: a
// failure in CI, a skip elsewhere.
func missing(what string) int {
	if os.Getenv("CI") == "true" {
		fmt.Fprintln(os.Stderr, "the console's browser tests are never skipped in CI:", what)
		return 1
	}
	fmt.Fprintln(os.Stderr, "skipping the console's browser tests:", what)
	return 0
}

// findChromium finds the browser: $MALLBOTS_CHROMIUM, else Debian's
// chromium (the package deploy/scripts/setup installs) or another
// Chromium-based browser on the PATH.
func findChromium() (string, error) {
	if p := os.Getenv("MALLBOTS_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on the PATH: run deploy/scripts/setup, or apt-get install chromium")
}

func runMain(m *testing.M) int {
	var err error
	if browser, err = findChromium(); err != nil {
		return missing(err.Error())
	}
	if _, err := chserver.FindBinary(""); err != nil {
		return missing(err.Error() + " (run deploy/scripts/setup)")
	}
	var stopSystem func()
	sys, stopSystem, err = systemtest.StartInTemp("mallbots-console-test-", func(cfg *system.Config) {
		cfg.BotShoppingTime = 100 * time.Millisecond
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopSystem()
	if !strings.HasPrefix(sys.ConsoleURL(), "http://127.0.0.1:") {
		fmt.Fprintln(os.Stderr, "the system serves no console on loopback:", sys.ConsoleURL())
		return 1
	}
	stop, err := startBrowser()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start chromium:", err)
		return 1
	}
	defer stop()
	return m.Run()
}
