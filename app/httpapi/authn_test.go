package httpapi_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/platform/testkit"
)

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// concrete turns a route pattern into a request line with made-up ids.
func concrete(route string) (method, path string) {
	method, path, _ = strings.Cut(route, " ")
	return method, pathParam.ReplaceAllString(path, "3f0c0000-0000-0000-0000-000000000001")
}

func TestWithoutAValidTokenEveryAPIRouteIs401WithAChallenge(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.WithTestAuth(httpapi.Deps{Ready: func() error { return nil }})))
	defer srv.Close()
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	stranger, _ := auth.NewIssuer(otherKey).Issue(auth.Principal{Role: auth.Operator}, time.Hour)
	credentials := map[string]string{
		"no header":           "",
		"another scheme":      "Basic b3BlcmF0b3I6c2VjcmV0",
		"an empty bearer":     "Bearer ",
		"a malformed token":   "Bearer not-a-token",
		"another key's token": "Bearer " + stranger,
	}
	routes := append(httpapi.RegisteredRoutes(), "GET /api/nowhere", "GET /api")
	for _, route := range routes {
		method, path := concrete(route)
		for name, header := range credentials {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			challenge := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(challenge, `Bearer realm="mallbots"`) {
				t.Errorf("%s with %s: %d %q, want 401 with a Bearer challenge", route, name, resp.StatusCode, challenge)
			}
			if strings.HasPrefix(name, "a malformed") || strings.HasPrefix(name, "another key") {
				if !strings.Contains(challenge, `error="invalid_token"`) {
					t.Errorf("%s with %s: challenge %q lacks error=\"invalid_token\"", route, name, challenge)
				}
			}
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token: %d, want 200", path, resp.StatusCode)
		}
	}
	api := testkit.API{T: t, Transport: checked, Base: srv.URL, Token: httpapi.OperatorToken}
	api.Do("GET", "/api/nowhere", nil).Expect(t, http.StatusNotFound)
}

func TestAnAPIWithoutAVerifierRefusesEveryone(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{}))
	defer srv.Close()
	r := testkit.API{T: t, Transport: checked, Base: srv.URL, Token: httpapi.OperatorToken}.Do("GET", "/api/stores", nil)
	r.Expect(t, http.StatusUnauthorized)
}

func TestARoleOutsideItsRulesIs403(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.WithTestAuth(httpapi.Deps{})))
	defer srv.Close()
	api := testkit.API{T: t, Transport: checked, Base: srv.URL}
	analyst := api.As(httpapi.TokenFor(auth.Principal{Role: auth.Analyst}))
	r := analyst.Do("PUT", "/api/customers/c1/disable", nil).Expect(t, http.StatusForbidden)
	if r.S("code") != "forbidden" || !strings.Contains(r.S("message"), "analyst may not PUT /api/customers/{id}/disable") {
		t.Fatalf("unexpected 403 %s", r.Raw)
	}
	customer := api.As(httpapi.TokenFor(auth.Principal{Role: auth.Customer, CustomerID: "c1"}))
	customer.Do("POST", "/api/baskets", map[string]string{"customerId": "c2"}).Expect(t, http.StatusForbidden)
	customer.Do("POST", "/api/payments", map[string]any{"customerId": "c2", "amount": 1}).Expect(t, http.StatusForbidden)
	manager := api.As(httpapi.TokenFor(auth.Principal{Role: auth.StoreManager, StoreIDs: []string{"s1"}}))
	manager.Do("PUT", "/api/stores/s2/rebrand", map[string]string{"name": "x"}).Expect(t, http.StatusForbidden)
	manager.Do("DELETE", "/api/stores/s2/participating", nil).Expect(t, http.StatusForbidden)
	manager.Do("POST", "/api/stores/s2/products", map[string]any{"name": "x", "price": 1}).Expect(t, http.StatusForbidden)
}
