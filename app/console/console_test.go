package console_test

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/app/console"
)

func newConsole(t *testing.T) http.Handler {
	t.Helper()
	h, err := console.New()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t *testing.T, h http.Handler, method, path string, headers ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func requireSecurityHeaders(t *testing.T, path string, res *http.Response) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": console.ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", path, k, got, v)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, must := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, must) {
			t.Errorf("%s: the CSP %q lacks %q", path, csp, must)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: the CSP %q allows inline code", path, csp)
	}
}

var (
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	inlineAttrs = regexp.MustCompile(`(?i)\s(on[a-z]+|style)\s*=`)
	linked      = regexp.MustCompile(`(?i)(?:src|href)="(/assets/[^"]+)"`)
)

func TestEveryPageIsServedWithItsSecurityHeadersAndNoInlineCode(t *testing.T) {
	h := newConsole(t)
	for _, p := range console.Pages() {
		res := get(t, h, "GET", p.Path)
		page := body(t, res)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("%s: %d %s", p.Path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		requireSecurityHeaders(t, p.Path, res)
		if !strings.Contains(page, "<title>"+html.EscapeString(p.Title)+" · MallBots</title>") {
			t.Errorf("%s: no title %q in %s", p.Path, p.Title, page)
		}
		scripts := scriptTag.FindAllStringSubmatch(page, -1)
		if len(scripts) == 0 {
			t.Errorf("%s: no script", p.Path)
		}
		for _, s := range scripts {
			if !strings.Contains(s[1], `src="/assets/`) || strings.TrimSpace(s[2]) != "" {
				t.Errorf("%s: an inline script (the CSP refuses it): %s", p.Path, s[0])
			}
		}
		if m := inlineAttrs.FindString(page); m != "" {
			t.Errorf("%s: an inline handler or style attribute (the CSP refuses it): %q", p.Path, m)
		}
	}
}

func TestTheSignInPageShowsTheTokenCommand(t *testing.T) {
	h, err := console.New(console.WithTokenCommand("bin/mallbots token --data-dir /srv/mall"))
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, get(t, h, "GET", "/"))
	for _, want := range []string{"bin/mallbots token --data-dir /srv/mall --role kiosk", "bin/mallbots token --data-dir /srv/mall --role customer --customer ID"} {
		if !strings.Contains(page, want) {
			t.Errorf("the sign-in page does not show %q", want)
		}
	}
}

// Every file a page links and every module a script imports is embedded
// and served with its type: a missing one would break the page only in a
// browser.
func TestEveryLinkedFileAndImportedModuleIsEmbedded(t *testing.T) {
	h := newConsole(t)
	seen := map[string]bool{}
	var queue []string
	for _, p := range console.Pages() {
		for _, m := range linked.FindAllStringSubmatch(body(t, get(t, h, "GET", p.Path)), -1) {
			queue = append(queue, m[1])
		}
	}
	imports := regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}/[^']+)'|^\s*import\s+'(\.{1,2}/[^']+)'`)
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		res := get(t, h, "GET", path)
		text := body(t, res)
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", path, res.StatusCode)
			continue
		}
		requireSecurityHeaders(t, path, res)
		ct := res.Header.Get("Content-Type")
		switch {
		case strings.HasSuffix(path, ".js") && ct != "text/javascript; charset=utf-8",
			strings.HasSuffix(path, ".css") && ct != "text/css; charset=utf-8",
			strings.HasSuffix(path, ".svg") && ct != "image/svg+xml":
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if strings.HasSuffix(path, ".js") {
			dir := path[:strings.LastIndex(path, "/")+1]
			for _, m := range imports.FindAllStringSubmatch(text, -1) {
				rel := m[1] + m[2]
				queue = append(queue, resolve(dir, rel))
			}
		}
	}
	for _, want := range []string{"/assets/js/api.js", "/assets/js/sse.js", "/assets/css/console.css"} {
		if !seen[want] {
			t.Errorf("%s is not reached from any page (seen %v)", want, seen)
		}
	}
}

func resolve(dir, rel string) string {
	for strings.HasPrefix(rel, "../") {
		dir = dir[:strings.LastIndex(strings.TrimSuffix(dir, "/"), "/")+1]
		rel = rel[3:]
	}
	return dir + strings.TrimPrefix(rel, "./")
}

func TestAnUnknownPathIsNotFound(t *testing.T) {
	h := newConsole(t)
	for _, path := range []string{"/console/nope", "/assets/js/nope.js", "/assets/", "/console/kiosk/extra", "/assets/../console.go"} {
		res := get(t, h, "GET", path)
		if res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
		requireSecurityHeaders(t, path, res)
	}
	if res := get(t, h, "POST", "/console/kiosk"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/kiosk: %d, want 405", res.StatusCode)
	}
}

func TestAnUnchangedFileIsAnsweredNotModified(t *testing.T) {
	h := newConsole(t)
	first := get(t, h, "GET", "/assets/js/api.js")
	etag := first.Header.Get("ETag")
	if etag == "" || first.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, first.Header.Get("Cache-Control"))
	}
	if res := get(t, h, "GET", "/assets/js/api.js", "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
		t.Fatalf("with its ETag: %d, want 304", res.StatusCode)
	}
}

func TestMountLeavesEverythingButTheConsoleToTheAPI(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Served-By", "api")
		w.WriteHeader(http.StatusTeapot)
	})
	h := console.Mount(api, newConsole(t))
	cases := []struct {
		method, path string
		api          bool
	}{
		{"GET", "/", false},
		{"HEAD", "/", false},
		{"GET", "/console/kiosk", false},
		{"GET", "/console/nope", false},
		{"GET", "/assets/css/console.css", false},
		{"POST", "/", true},
		{"GET", "/api/stores", true},
		{"POST", "/api/customers", true},
		{"GET", "/healthz", true},
		{"GET", "/readyz", true},
		{"GET", "/metrics", true},
		{"GET", "/nothing-here", true},
	}
	for _, c := range cases {
		res := get(t, h, c.method, c.path)
		if got := res.Header.Get("X-Served-By") == "api"; got != c.api {
			t.Errorf("%s %s: served by the API: %v, want %v (status %d)", c.method, c.path, got, c.api, res.StatusCode)
		}
	}
}

// The vendored uPlot is the release the ADR and the vendor README name,
// unchanged.
func TestTheVendoredChartLibraryIsThePinnedRelease(t *testing.T) {
	want := map[string]string{
		"assets/vendor/uplot/uPlot.esm.js":  "5dd9b3281aa64b461b42d9945f6adb2649d346502b12281a9ae0d46599a80eba",
		"assets/vendor/uplot/uPlot.min.css": "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
		"assets/vendor/uplot/LICENSE":       "8f989229699b4fe2f1a0432d0e9edc338a8a911e250e2d1b01ecd770a5f5b1bd",
	}
	readme, err := os.ReadFile("assets/vendor/uplot/README.md")
	if err != nil {
		t.Fatal(err)
	}
	h := newConsole(t)
	for path, sum := range want {
		res := get(t, h, "GET", "/"+path)
		got := sha256.Sum256([]byte(body(t, res)))
		if res.StatusCode != 200 || hex.EncodeToString(got[:]) != sum {
			t.Errorf("/%s: %d, sha256 %x, want %s", path, res.StatusCode, got, sum)
		}
		if !strings.Contains(string(readme), sum) {
			t.Errorf("the vendor README does not record %s's digest %s", path, sum)
		}
	}
}
