package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/topics/asyncapi"
)

func TestTheAsyncAPIDocumentIsServedWithoutAToken(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.WithTestAuth(httpapi.Deps{Ready: func() error { return nil }})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/asyncapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/asyncapi.json without a token: %d %q, want 200 application/json\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	want, err := asyncapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("GET /api/asyncapi.json served %d bytes that differ from asyncapi.JSON() (%d bytes)", len(body), len(want))
	}
}

// Only the document passes without a token: its neighbours under /api
// still need one.
func TestOnlyTheAsyncAPIDocumentEscapesTheToken(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.WithTestAuth(httpapi.Deps{Ready: func() error { return nil }})))
	defer srv.Close()
	for _, path := range []string{"/api/asyncapi.json/", "/api/asyncapi.jsonx", "/api/asyncapi"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: %d, want 401", path, resp.StatusCode)
		}
	}
}
