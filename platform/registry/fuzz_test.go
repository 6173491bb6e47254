package registry_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/platform/registry/registrytest"
)

// fuzzRoutes are the requests whose bodies the registry decodes: the ones
// that change state (handled by this package) and the lookup (srfake's). The
// global PUTs ignore the subject. New routes go at the end, so that the route
// numbers of the corpus keep naming the same routes.
var fuzzRoutes = []struct{ method, pattern string }{
	{http.MethodPost, "/subjects/%s/versions"},
	{http.MethodPost, "/compatibility/subjects/%s/versions"},
	{http.MethodPost, "/compatibility/subjects/%s/versions/latest"},
	{http.MethodPut, "/config/%s"},
	{http.MethodPut, "/mode/%s"},
	{http.MethodPost, "/subjects/%s"},
	{http.MethodPut, "/config%.0s"},
	{http.MethodPut, "/mode%.0s"},
	{http.MethodPost, "/compatibility/subjects/%s/versions/1"},
}

// FuzzRequestBody sends arbitrary bodies, under arbitrary subjects, to every
// route that reads a body. Whatever arrives, the registry answers: no panic,
// no 5xx (a bad request is the client's fault, and the broker here is
// healthy), and an error is a Confluent-style JSON body with a code and a
// message.
//
//	go test -run='^$' -fuzz=FuzzRequestBody -fuzztime=60s ./platform/registry/
func FuzzRequestBody(f *testing.F) {
	handler := fuzzRegistry(f)
	valid := `{"schema":"{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"mallbots.test\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}"}`
	for route := range fuzzRoutes {
		f.Add(uint8(route), "users-value", []byte(valid))
	}
	f.Add(uint8(0), "users-value", []byte(`{"schema":"{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"mallbots.test\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"}]}"}`))
	f.Add(uint8(0), "users-value", []byte(`{"schema":"\"string\"","schemaType":"JSON"}`))
	f.Add(uint8(0), "users-value", []byte(`{"schema":"\"string\"","id":7,"version":2}`))
	f.Add(uint8(0), "users-value", []byte(`{"schema":"\"string\"","references":[{"name":"x","subject":"nope","version":1}]}`))
	f.Add(uint8(1), "a/b", []byte(`{"schema":"{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}"}`))
	f.Add(uint8(3), "users-value", []byte(`{"compatibility":"NONE"}`))
	f.Add(uint8(4), "users-value", []byte(`{"mode":"IMPORT"}`))
	f.Add(uint8(0), "", []byte(`{}`))
	f.Add(uint8(0), "users-value", []byte(`{"schema":1} {}`))
	// Issue 20: the Avro parser panicked on an empty union with a default.
	f.Add(uint8(0), "users-value", []byte(`{"schema":"{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"A000\",\"type\":[],\"default\":null}]}"}`))

	f.Fuzz(func(t *testing.T, route uint8, subject string, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		target := fmt.Sprintf(r.pattern, url.PathEscape(subject))
		req := httptest.NewRequest(r.method, "http://registry"+target, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		checkAnswer(t, fmt.Sprintf("%s %s with %q", r.method, target, body), rec)
	})
}

// FuzzRequest sends arbitrary requests: any method, any path, any body. It
// covers every route, the ones this package serves and the ones it passes to
// srfake, the refusals and the paths nothing serves, with a seed for each.
// Whatever arrives, the registry answers as FuzzRequestBody asks: no panic,
// no 5xx, a JSON body for a success and a Confluent-style error body for an
// error.
//
//	go test -run='^$' -fuzz='^FuzzRequest$' -fuzztime=60s ./platform/registry/
func FuzzRequest(f *testing.F) {
	handler := fuzzRegistry(f)
	schema := []byte(`{"schema":"{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}"}`)
	for _, seed := range []struct {
		method, path string
		body         []byte
	}{
		{"POST", "/subjects/users-value/versions", schema},
		{"POST", "/compatibility/subjects/users-value/versions", schema},
		{"POST", "/compatibility/subjects/users-value/versions/latest", schema},
		{"POST", "/compatibility/subjects/users-value/versions/-1", schema},
		{"PUT", "/config", []byte(`{"compatibility":"BACKWARD_TRANSITIVE"}`)},
		{"PUT", "/config/users-value", []byte(`{"compatibility":"NONE"}`)},
		{"PUT", "/mode", []byte(`{"mode":"READWRITE"}`)},
		{"PUT", "/mode/users-value", []byte(`{"mode":"READONLY"}`)},
		{"GET", "/schemas/types", nil},
		{"DELETE", "/subjects/users-value", nil},
		{"DELETE", "/subjects/users-value/versions/1?permanent=true", nil},
		{"GET", "/subjects", nil},
		{"GET", "/subjects/users-value/versions", nil},
		{"GET", "/subjects/users-value/versions/latest", nil},
		{"GET", "/subjects/users-value/versions/1/schema", nil},
		{"GET", "/subjects/users-value/versions/1/referencedby", nil},
		{"GET", "/schemas", nil},
		{"GET", "/schemas/ids/1", nil},
		{"GET", "/schemas/ids/1/schema", nil},
		{"GET", "/schemas/ids/1/versions", nil},
		{"GET", "/schemas/ids/1/subjects", nil},
		{"GET", "/schemas/guids/0", nil},
		{"GET", "/schemas/guids/0/ids", nil},
		{"GET", "/config", nil},
		{"GET", "/config/users-value?defaultToGlobal=true", nil},
		{"GET", "/mode", nil},
		{"GET", "/mode/users-value", nil},
		{"GET", "/contexts", nil},
		{"POST", "/subjects/users-value", schema},
		{"DELETE", "/config/users-value", nil},
		{"DELETE", "/mode", nil},
		{"DELETE", "/mode/users-value", nil},
		{"GET", "/contexts/.other/subjects", nil},
		{"POST", "/contexts/.other/subjects/users-value/versions", schema},
		{"DELETE", "/contexts/.other", nil},
		{"PATCH", "/subjects/users-value", nil},
		{"GET", "/nowhere", nil},
		{"HEAD", "/subjects", nil},
		{"GET", "/subjects/:.other:users-value/versions", nil},
	} {
		f.Add(seed.method, seed.path, seed.body)
	}

	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		// net/http hands a handler only a request line it could parse: a
		// method that is a token and a path in origin form.
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			return
		}
		req, err := http.NewRequest(method, "http://registry"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		checkAnswer(t, fmt.Sprintf("%s %s with %q", req.Method, path, body), rec)
	})
}

// checkAnswer fails t unless rec is an answer the registry may give to any
// request while its broker is healthy: no 5xx, JSON for a success, a
// Confluent-style error body ({"error_code": n, "message": "..."}) for an
// error, and a Location for a redirect.
func checkAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s: HTTP %d %s", what, rec.Code, rec.Body)
	}
	if rec.Code < 300 {
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s: HTTP %d with a body that is not JSON: %q", what, rec.Code, rec.Body)
		}
		return
	}
	if rec.Code < 400 {
		if rec.Header().Get("Location") == "" {
			t.Fatalf("%s: HTTP %d without a Location", what, rec.Code)
		}
		return // net/http's redirect of a path it cleans ("/subjects//versions")
	}
	var e struct {
		Code    *int    `json:"error_code"`
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == nil || e.Message == nil || *e.Message == "" {
		t.Fatalf("%s: HTTP %d without a Confluent error body: %q", what, rec.Code, rec.Body)
	}
}

// fuzzRegistry is a registry on its own in-process broker, quiet, for the
// whole fuzz run (each fuzzing worker process starts one).
func fuzzRegistry(f *testing.F) http.Handler {
	f.Helper()
	return registrytest.Start(f).Handler()
}
