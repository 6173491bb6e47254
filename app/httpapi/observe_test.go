package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/httpapi"
)

type observed struct {
	mu     sync.Mutex
	routes []string
}

func (o *observed) observe(route string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.routes = append(o.routes, route+" "+http.StatusText(status))
}

// An instance without the API serves /metrics beside its probes, and
// requests are observed by the router's pattern, not by their path.
func TestHealthServesMetricsAndObservesRoutePatterns(t *testing.T) {
	o := &observed{}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("mallbots_up 1\n")) })
	srv := httptest.NewServer(httpapi.Health(func() error { return nil }, httpapi.Observability{Metrics: metrics, ObserveRequest: o.observe}, nil))
	defer srv.Close()
	for path, want := range map[string]int{"/metrics": 200, "/readyz": 200, "/nowhere": 404} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	got := map[string]bool{}
	for _, r := range o.routes {
		got[r] = true
	}
	for _, want := range []string{"GET /metrics OK", "GET /readyz OK", "unmatched Not Found"} {
		if !got[want] {
			t.Errorf("no request observed as %q; observed %v", want, o.routes)
		}
	}
}

// The API names a request by its pattern: ids in the path do not make new
// series.
func TestTheAPIObservesRequestsByRoutePattern(t *testing.T) {
	o := &observed{}
	srv := httptest.NewServer(httpapi.New(httpapi.WithTestAuth(httpapi.Deps{Observability: httpapi.Observability{ObserveRequest: o.observe}})))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/search/orders/3f0c0000-0000-0000-0000-000000000000", nil)
	req.Header.Set("Authorization", "Bearer "+httpapi.OperatorToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.routes) != 1 || o.routes[0] != "GET /api/search/orders/{id} Service Unavailable" {
		t.Errorf("observed %v, want the route pattern GET /api/search/orders/{id}", o.routes)
	}
}
