package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/platform/testkit"
)

// contractOperations are the served contract's operations: "GET /api/stores/{id}".
func contractOperations(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, item := range d.Paths {
		for method := range item {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

func served(t *testing.T, srv *httptest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestTheContractNamesEveryRouteAndNoOther(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.WithTestAuth(httpapi.Deps{})))
	defer srv.Close()
	resp, doc := served(t, srv, "/api/openapi.json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/openapi.json answered %d: %s", resp.StatusCode, doc)
	}
	documented := contractOperations(t, doc)
	registered := append(httpapi.RegisteredRoutes(), httpapi.PublicRoutes()...)
	for _, route := range registered {
		if !slices.Contains(documented, route) {
			t.Errorf("%s is registered but not in the contract: add it to operations in app/httpapi/contract.go", route)
		}
	}
	for _, op := range documented {
		if !slices.Contains(registered, op) {
			t.Errorf("the contract has %s, which the server does not register", op)
		}
	}
	// The public routes are registered, and answer without a token.
	for _, route := range httpapi.PublicRoutes() {
		_, path, _ := strings.Cut(route, " ")
		path = strings.ReplaceAll(path, "{file}", "swagger-ui.css")
		if resp, body := served(t, srv, path); resp.StatusCode != http.StatusOK {
			t.Errorf("%s without a token answered %d: %s", route, resp.StatusCode, body)
		}
	}
}

func TestTheContractIsAValidOpenAPI31Document(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi is %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := testkit.NewContract(httpapi.OpenAPI()); err != nil {
		t.Fatal(err)
	}
}

func TestEachOperationNamesTheRolesOfItsAccessRule(t *testing.T) {
	var d struct {
		Paths map[string]map[string]struct {
			Roles    map[string]string `json:"x-roles"`
			Security []map[string]any  `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(httpapi.OpenAPI(), &d); err != nil {
		t.Fatal(err)
	}
	for _, rule := range httpapi.Rules() {
		method, path, _ := strings.Cut(rule.Route, " ")
		op := d.Paths[path][strings.ToLower(method)]
		want := map[string]string{}
		for _, role := range auth.Roles() {
			if a := rule.Access(role); a != httpapi.Denied {
				want[string(role)] = a.String()
			}
		}
		if !equalMaps(op.Roles, want) {
			t.Errorf("%s: x-roles %v, the access rule says %v", rule.Route, op.Roles, want)
		}
		if op.Security != nil {
			t.Errorf("%s: needs the document's bearer token, not security %v", rule.Route, op.Security)
		}
	}
	for _, route := range httpapi.PublicRoutes() {
		method, path, _ := strings.Cut(route, " ")
		if op := d.Paths[path][strings.ToLower(method)]; op.Security == nil || len(op.Security) != 0 {
			t.Errorf("%s needs no token: its security must be []", route)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestTheViewerIsServedFromItsOwnOriginOnly(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{})) // no verifier: every other /api route is 401
	defer srv.Close()
	resp, page := served(t, srv, "/api/docs")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /api/docs answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, directive := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, directive) {
			t.Errorf("the viewer's Content-Security-Policy %q lacks %q", csp, directive)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") {
		t.Errorf("the viewer's Content-Security-Policy %q allows more than its own origin", csp)
	}
	// Everything the page loads is its own, and served.
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllSubmatch(page, -1) {
		ref := string(m[1])
		if !strings.HasPrefix(ref, "/api/docs/") {
			t.Errorf("the viewer's page loads %s, not one of its own files", ref)
			continue
		}
		if r, body := served(t, srv, ref); r.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("GET %s answered %d", ref, r.StatusCode)
		}
	}
	if bytes.Contains(page, []byte("<script>")) || bytes.Contains(page, []byte("<style")) {
		t.Error("the viewer's page has an inline script or style sheet, which its policy refuses")
	}
	if r, body := served(t, srv, "/api/docs/no-such-file.js"); r.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown file of the viewer answered %d: %s", r.StatusCode, body)
	}
	if r, _ := served(t, srv, "/api/stores"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("the viewer's exemption reaches other routes: GET /api/stores without a token answered %d", r.StatusCode)
	}
	post, err := http.Post(srv.URL+"/api/openapi.json", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /api/openapi.json without a token answered %d: only GET is public", post.StatusCode)
	}
}

func TestTheViewerIsTheVendoredRelease(t *testing.T) {
	readme, err := os.ReadFile("viewer/README.md")
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\| ([\w.-]+) \| ([0-9a-f]{64}) \|$`).FindAllSubmatch(readme, -1) {
		recorded[string(m[1])] = string(m[2])
	}
	files := []string{"swagger-ui-bundle.js", "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui.css", "LICENSE", "NOTICE"}
	for _, name := range files {
		b, err := os.ReadFile("viewer/" + name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); recorded[name] != got {
			t.Errorf("viewer/%s has sha256 %s; viewer/README.md records %q: vendor the release unmodified, and record what you vendored", name, got, recorded[name])
		}
	}
	if !bytes.Contains(readme, []byte("swagger-ui-dist 5.36.0")) {
		t.Error("viewer/README.md does not name the vendored version")
	}
}

// checked carries this package's API clients, checking each exchange
// against the contract, as app/system's tests do.
var checked = func() http.RoundTripper {
	c, err := testkit.NewContract(httpapi.OpenAPI())
	if err != nil {
		panic(err)
	}
	return c.Transport(nil)
}()
