package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/internal/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
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
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{
		Commands: commands, Timeout: time.Minute,
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}))
	t.Cleanup(srv.Close)
	return srv, &logs
}

func TestAClientThatGoesAwayBeforeItsResultIsNotAnError(t *testing.T) {
	sender := stuckSender{called: make(chan struct{})}
	srv, logs := apiWith(t, sender)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/customers",
		strings.NewReader(`{"name":"John Smith","smsNumber":"555-0100"}`))
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
	api := testkit.API{T: t, Base: srv.URL}
	r := api.Do(http.MethodPost, "/api/customers", map[string]string{"name": "John Smith", "smsNumber": "555-0100"}).
		Expect(t, http.StatusServiceUnavailable)
	if !strings.Contains(r.S("message"), "retry with the same Idempotency-Key") {
		t.Errorf("the 503 does not say what to do: %s", r.Raw)
	}
	if !strings.Contains(logs.String(), `level=ERROR msg="sending a command failed"`) {
		t.Errorf("a command Kafka refused was not logged as an error:\n%s", logs)
	}
}
