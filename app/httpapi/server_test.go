package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
)

// stuckSender is a Kafka that takes a command and never acknowledges it:
// SendAndWait returns only when its context ends, with the error
// emitters.Commands returns then.
type stuckSender struct{ called chan struct{} }

func (s stuckSender) SendAndWait(ctx context.Context, _ schemas.Command) (schemas.CommandResult, error) {
	close(s.called)
	<-ctx.Done()
	return schemas.CommandResult{}, fmt.Errorf("send RegisterCustomer to mallbots.customers.commands: %w", ctx.Err())
}

// failingSender is a Kafka that refuses every command.
type failingSender struct{}

func (failingSender) SendAndWait(context.Context, schemas.Command) (schemas.CommandResult, error) {
	return schemas.CommandResult{}, errors.New("kafka: the broker refused the record")
}

func apiWith(t *testing.T, commands httpapi.CommandSender) (*httptest.Server, *testkit.LogBuffer) {
	var logs testkit.LogBuffer
	srv := httptest.NewServer(httpapi.New(httpapi.WithTestAuth(httpapi.Deps{
		Commands: commands, Timeout: time.Minute,
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})))
	t.Cleanup(srv.Close)
	return srv, &logs
}

func TestAClientThatGoesAwayBeforeItsResultIsNotAnError(t *testing.T) {
	sender := stuckSender{called: make(chan struct{})}
	srv, logs := apiWith(t, sender)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/customers",
		strings.NewReader(`{"name":"John Smith","smsNumber":"555-0100"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+httpapi.OperatorToken)
	go func() { <-sender.called; cancel() }()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request was answered %d; the client meant to go away first", resp.StatusCode)
	}
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		return strings.Contains(logs.String(), "the client went away before its command was acknowledged"), "logs:\n" + logs.String()
	})
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a client going away was logged as an error, which would page an operator for nothing:\n%s", logs)
	}
}

func TestACommandKafkaRefusesIsA503AndAnError(t *testing.T) {
	srv, logs := apiWith(t, failingSender{})
	api := testkit.API{T: t, Transport: checked, Base: srv.URL, Token: httpapi.OperatorToken}
	r := api.Do(http.MethodPost, "/api/customers", map[string]string{"name": "John Smith", "smsNumber": "555-0100"}).
		Expect(t, http.StatusServiceUnavailable)
	if !strings.Contains(r.S("message"), "retry with the same Idempotency-Key") {
		t.Errorf("the 503 does not say what to do: %s", r.Raw)
	}
	if !strings.Contains(logs.String(), `level=ERROR msg="sending a command failed"`) {
		t.Errorf("a command Kafka refused was not logged as an error:\n%s", logs)
	}
}

// panickingSender is a bug in the path of a write.
type panickingSender struct{}

func (panickingSender) SendAndWait(context.Context, schemas.Command) (schemas.CommandResult, error) {
	panic("a bug on the way to Kafka")
}

// A panic in a handler is a 500 with the API's error body and an ERROR
// line with its stack, not a connection net/http drops and reports through
// its ErrorLog (which a program that set slog's default files at INFO).
func TestAPanicInAHandlerIsA500AndAnError(t *testing.T) {
	var logs, errorLog testkit.LogBuffer
	srv := httptest.NewUnstartedServer(httpapi.New(httpapi.WithTestAuth(httpapi.Deps{
		Commands: panickingSender{}, Timeout: time.Minute,
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})))
	srv.Config.ErrorLog = log.New(&errorLog, "", 0)
	srv.Start()
	defer srv.Close()

	r := testkit.API{T: t, Transport: checked, Base: srv.URL, Token: httpapi.OperatorToken}.Do(http.MethodPost, "/api/customers", map[string]string{"name": "John Smith", "smsNumber": "555-0100"})

	r.Expect(t, http.StatusInternalServerError)
	if r.S("code") != "internal" || !strings.Contains(r.S("message"), "the server failed while handling the request") {
		t.Errorf("the 500 is not the API's error body: %s", r.Raw)
	}
	out := logs.String()
	for _, want := range []string{`level=ERROR msg="a handler panicked"`, `route="POST /api/customers"`, `panic="a bug on the way to Kafka"`, "stack=", "answered=false"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "panic") && !strings.Contains(line, "level=ERROR") {
			t.Errorf("the panic was logged below ERROR: %s", line)
		}
	}
	if errorLog.String() != "" {
		t.Errorf("net/http saw the panic:\n%s", errorLog.String())
	}
}

// jsonRoutes are the routes that read a JSON body, with one they accept.
var jsonRoutes = []struct{ method, path, body string }{
	{"POST", "/api/stores", `{"name":"Waldorf Books","location":"Level 1"}`},
	{"PUT", "/api/stores/3f0c0000-0000-0000-0000-000000000001/rebrand", `{"name":"Waldorf"}`},
	{"POST", "/api/stores/3f0c0000-0000-0000-0000-000000000001/products", `{"name":"Robot kit","price":9.99}`},
	{"PUT", "/api/stores/products/3f0c0000-0000-0000-0000-000000000002/rebrand", `{"name":"Robot kit"}`},
	{"PUT", "/api/stores/products/3f0c0000-0000-0000-0000-000000000002/increasePrice", `{"price":10}`},
	{"PUT", "/api/stores/products/3f0c0000-0000-0000-0000-000000000002/decreasePrice", `{"price":9}`},
	{"POST", "/api/customers", `{"name":"John Smith","smsNumber":"555-0100"}`},
	{"PUT", "/api/customers/3f0c0000-0000-0000-0000-000000000003/change-sms", `{"smsNumber":"555-0199"}`},
	{"POST", "/api/payments", `{"customerId":"c","amount":9.99}`},
	{"POST", "/api/baskets", `{"customerId":"c"}`},
	{"PUT", "/api/baskets/3f0c0000-0000-0000-0000-000000000004/addItem", `{"productId":"p","quantity":1}`},
	{"PUT", "/api/baskets/3f0c0000-0000-0000-0000-000000000004/removeItem", `{"productId":"p","quantity":1}`},
	{"PUT", "/api/baskets/3f0c0000-0000-0000-0000-000000000004/checkout", `{"paymentId":"pay"}`},
	{"POST", "/api/search/orders", `{}`},
}

// send sends a raw body with the given Content-Type ("" for none).
func send(t *testing.T, base, method, path, contentType, body string, headers ...string) testkit.Response {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+httpapi.OperatorToken)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := testkit.Response{Status: resp.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

// Every route that reads a JSON body refuses the types a browser sends to
// any site without a preflight, and a body without a type, before reading
// it; sent as JSON, the same body gets past that (to a Kafka that refuses
// every command: 503, or to no search: 503).
func TestEveryJSONRouteRefusesWhatIsNotSentAsJSON(t *testing.T) {
	srv, _ := apiWith(t, failingSender{})
	for _, route := range jsonRoutes {
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b", ""} {
			r := send(t, srv.URL, route.method, route.path, ct, route.body)
			if r.Status != http.StatusUnsupportedMediaType || r.S("code") != "unsupported_media_type" || !strings.Contains(r.S("message"), "Content-Type: application/json") {
				t.Errorf("%s %s as %q: %d %s; want 415 unsupported_media_type", route.method, route.path, ct, r.Status, r.Raw)
			}
		}
		if r := send(t, srv.URL, route.method, route.path, "application/json", route.body); r.Status != http.StatusServiceUnavailable {
			t.Errorf("%s %s as JSON: %d %s; want it past the media type (503 from the refusing Kafka or the missing search)", route.method, route.path, r.Status, r.Raw)
		}
	}
}

// A route without a body needs no Content-Type.
func TestABodylessWriteNeedsNoContentType(t *testing.T) {
	srv, _ := apiWith(t, failingSender{})
	for _, route := range []struct{ method, path string }{
		{"PUT", "/api/stores/3f0c0000-0000-0000-0000-000000000001/participating"},
		{"DELETE", "/api/stores/3f0c0000-0000-0000-0000-000000000001/participating"},
		{"DELETE", "/api/stores/products/3f0c0000-0000-0000-0000-000000000002"},
		{"PUT", "/api/customers/3f0c0000-0000-0000-0000-000000000003/enable"},
		{"PUT", "/api/customers/3f0c0000-0000-0000-0000-000000000003/disable"},
		{"DELETE", "/api/baskets/3f0c0000-0000-0000-0000-000000000004"},
		{"DELETE", "/api/ordering/3f0c0000-0000-0000-0000-000000000005"},
		{"PUT", "/api/payments/invoices/3f0c0000-0000-0000-0000-000000000006/pay"},
	} {
		if r := send(t, srv.URL, route.method, route.path, "", ""); r.Status != http.StatusServiceUnavailable {
			t.Errorf("%s %s without a Content-Type: %d %s; want it sent (503 from the refusing Kafka)", route.method, route.path, r.Status, r.Raw)
		}
	}
}
