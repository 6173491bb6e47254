package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserCtx is the one Chromium process the tests share; each test opens
// its own tab.
var browserCtx context.Context

func startBrowser() (stop func(), err error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // the tests may run as root, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1366, 768),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		cancel()
		cancelAlloc()
		return nil, err
	}
	browserCtx = ctx
	return func() { cancel(); cancelAlloc() }, nil
}

// Screen sizes the console is laid out for.
type screen struct{ w, h int64 }

var (
	laptop = screen{1366, 768}
	kiosk  = screen{1080, 1920}
)

// tab is one browser tab of a test.
type tab struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	// problems are the page's uncaught exceptions, errors logged to its
	// console and what its CSP refused: a test fails on any.
	problems []string
}

// openTab opens a tab of size s that ends after within at the latest,
// and fails the test on any script error the page reports.
func openTab(t *testing.T, s screen, within time.Duration) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, within)
	tb := &tab{t: t, ctx: ctx}
	orientation := chromedp.EmulateLandscape
	if s.h > s.w {
		orientation = chromedp.EmulatePortrait
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(s.w, s.h, orientation)); err != nil {
		t.Fatal(err)
	}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError && !expectedNetworkError(m) {
				tb.problem(m.String())
			}
		}
	}()
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		<-done
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("the page reported: %s", p)
		}
	})
	return tb
}

// expectedNetworkError is an answer the page handles itself: an API's 4xx
// (a refused command is shown to the user) is logged by Chromium as a
// failed resource, which is no fault of the page.
func expectedNetworkError(m chromedp.ConsoleMessage) bool {
	return m.Source == "network" && strings.Contains(m.URL, "/api/")
}

func (tb *tab) problem(p string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.problems = append(tb.problems, p)
}

// do runs actions, failing the test with what it was doing.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// text reads the text of the element sel selects.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// eval evaluates a JavaScript expression.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until the JavaScript expression is true, failing with the
// value of describe (another expression) when it is not within d.
func (tb *tab) waitFor(what, expr, describe string, d time.Duration) {
	tb.t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(d))); err != nil {
		got, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`String(`+describe+`)`))
		tb.t.Fatalf("%s: not within %s (%v); the page shows: %s", what, d, err, got)
	}
}

// click clicks the element sel selects once it is visible.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// goTo opens a page of the console and waits until it is loaded.
func (tb *tab) goTo(path string) {
	tb.t.Helper()
	tb.do("open "+path, chromedp.Navigate(strings.TrimSuffix(sys.ConsoleURL(), "/")+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// signIn pastes a token on the sign-in page, as a user does.
func (tb *tab) signIn(token string) {
	tb.t.Helper()
	tb.goTo("/")
	tb.do("paste the token", chromedp.SetValue(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#signed-in")))
}

// shot saves what the screen shows as the picture name.png when
// -screenshots is set.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	if *screenshots == "" {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// Shorthands for the actions the tests use most.
func waitVisible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}
func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), v)
}
