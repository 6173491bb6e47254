package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mallbots/mallbots/emitters"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/idempotency"
	"github.com/mallbots/mallbots/schemas"
	contract "github.com/mallbots/mallbots/schemas/idempotency"
)

// keyKafka is a Kafka with only the Idempotency-Key aggregate: it decides
// claims with the aggregate's own rules, one at a time, as the key's
// partition does; it takes every other command without a result in time
// (the API answers 202 with the command id) and keeps it.
type keyKafka struct {
	mu     sync.Mutex
	keys   map[string]*contract.IdempotencyKeySnapshot
	offset int64
	sent   []schemas.Command // the commands other than claims
	claims int
	// undecided makes claims go unanswered, as a slow partition would.
	undecided bool
}

func newKeyKafka() *keyKafka { return &keyKafka{keys: map[string]*contract.IdempotencyKeySnapshot{}} }

func (k *keyKafka) SendAndWait(_ context.Context, cmd schemas.Command) (schemas.CommandResult, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	id := emitters.Prepare(cmd)
	claim, ok := cmd.(*contract.ClaimIdempotencyKey)
	if !ok {
		k.sent = append(k.sent, cmd)
		return schemas.CommandResult{CommandID: id}, emitters.ErrNoResultYet
	}
	k.claims++
	if k.undecided {
		return schemas.CommandResult{CommandID: id}, emitters.ErrNoResultYet
	}
	out, err := aggregate.Execute(idempotency.KeyRules, k.keys[claim.AggregateID], aggregate.Input[contract.KeyCommand, contract.KeyEvent]{
		Command: claim, Offset: k.offset, Now: time.Now(), Committed: -1})
	if err != nil {
		return schemas.CommandResult{}, err
	}
	k.offset++
	if out.Next != nil {
		k.keys[claim.AggregateID] = out.Next
	}
	return out.Result, nil
}

// commands returns the commands sent so far, other than claims.
func (k *keyKafka) commands() []schemas.Command {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]schemas.Command(nil), k.sent...)
}

// request is one write: the route, the body, the headers.
type request struct {
	method, path, body string
	headers            []string
}

func (q request) send(t *testing.T, base string) testkit.Response {
	t.Helper()
	return send(t, base, q.method, q.path, "application/json", q.body, q.headers...)
}

func withKey(key string, q request) request {
	q.headers = append(append([]string(nil), q.headers...), "Idempotency-Key", key)
	return q
}

var (
	registerJohn = request{method: "POST", path: "/api/customers", body: `{"name":"John Smith","smsNumber":"555-0100"}`}
	registerJane = request{method: "POST", path: "/api/customers", body: `{"name":"Jane Doe","smsNumber":"555-0100"}`}
	createStore  = request{method: "POST", path: "/api/stores", body: `{"name":"Waldorf Books","location":"Level 1"}`}
	addItem      = request{method: "PUT", path: "/api/baskets/3f0c0000-0000-0000-0000-000000000004/addItem", body: `{"productId":"p1","quantity":1}`}
)

// A key is bound to the first request that uses it: the same request again
// goes on to its command (under the same command id and, for a create, the
// same aggregate id), and any other request with the key is refused with
// 422 and sends nothing.
func TestAnIdempotencyKeyIsBoundToItsFirstRequest(t *testing.T) {
	rebodied := registerJohn
	rebodied.body = "{ \"smsNumber\": \"555-0100\",\n  \"name\": \"John Smith\" }"
	johnThenJane := registerJohn
	johnThenJane.body = `{"name":"John Smith","name":"Jane Doe","smsNumber":"555-0100"}`
	janeThenJohn := registerJohn
	janeThenJohn.body = `{"name":"Jane Doe","name":"John Smith","smsNumber":"555-0100"}`
	ifMatch := addItem
	ifMatch.headers = []string{"If-Match", "3"}
	otherBasket := addItem
	otherBasket.path = "/api/baskets/3f0c0000-0000-0000-0000-000000000005/addItem"
	for _, tc := range []struct {
		name          string
		first, second request
		// reused: the second is refused with 422, its message saying
		// says (what the key was first used for).
		reused bool
		says   string
	}{
		{name: "the same request again", first: registerJohn, second: registerJohn},
		{name: "the same body in other white space and member order", first: registerJohn, second: rebodied},
		{name: "the same route with another body", first: registerJohn, second: registerJane, reused: true, says: "first: POST /api/customers with another body or If-Match"},
		{name: "another route", first: registerJohn, second: createStore, reused: true, says: "first: POST /api/customers)"},
		{name: "the same route for another aggregate", first: addItem, second: otherBasket, reused: true, says: "first: PUT /api/baskets/3f0c0000-0000-0000-0000-000000000004/addItem)"},
		{name: "a name given twice, in the other order", first: johnThenJane, second: janeThenJohn, reused: true, says: "with another body or If-Match"},
		{name: "a name given twice, again", first: johnThenJane, second: johnThenJane},
		{name: "the same request with an If-Match", first: addItem, second: ifMatch, reused: true, says: "with another body or If-Match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kafka := newKeyKafka()
			srv, _ := apiWith(t, kafka)
			key := "key-" + tc.name

			one := withKey(key, tc.first).send(t, srv.URL).Expect(t, http.StatusAccepted)
			two := withKey(key, tc.second).send(t, srv.URL)

			sent := kafka.commands()
			if one.S("commandId") != key || len(sent) == 0 || sent[0].CommandMetadata().CommandID != key {
				t.Fatalf("the first request's command has id %q (answered %s), want the key %q", one.S("commandId"), one.Raw, key)
			}
			if tc.reused {
				two.Expect(t, http.StatusUnprocessableEntity)
				want := fmt.Sprintf("the Idempotency-Key %q was used with a different request (", key)
				if two.S("code") != "idempotency_key_reused" || !contains(two.S("message"), want, tc.says, "use a new key for a new request") {
					t.Errorf("the refusal does not say what happened and what to do: %s", two.Raw)
				}
				if len(sent) != 1 {
					t.Errorf("%d commands sent, want only the first request's: %v", len(sent), sent)
				}
				return
			}
			two.Expect(t, http.StatusAccepted)
			if len(sent) != 2 {
				t.Fatalf("%d commands sent, want the first and its retry", len(sent))
			}
			a, b := sent[0].CommandMetadata(), sent[1].CommandMetadata()
			if b.CommandID != a.CommandID || b.AggregateID != a.AggregateID {
				t.Errorf("the retry is command %s on %s, the first %s on %s: want the same, so that the aggregate answers it once", b.CommandID, b.AggregateID, a.CommandID, a.AggregateID)
			}
		})
	}
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// A create without an id gets a new one each time, unless it has a key:
// then its id is the key's, so that a retry reaches the same aggregate.
func TestACreateWithAKeyAndNoIDTakesItsIDFromTheKey(t *testing.T) {
	kafka := newKeyKafka()
	srv, _ := apiWith(t, kafka)
	registerJohn.send(t, srv.URL).Expect(t, http.StatusAccepted)
	registerJohn.send(t, srv.URL).Expect(t, http.StatusAccepted)
	withKey("k1", registerJohn).send(t, srv.URL).Expect(t, http.StatusAccepted)
	withKey("k1", registerJohn).send(t, srv.URL).Expect(t, http.StatusAccepted)
	withKey("k2", registerJohn).send(t, srv.URL).Expect(t, http.StatusAccepted)
	withID := registerJohn
	withID.body = `{"id":"3f0c0000-0000-0000-0000-0000000000aa","name":"John Smith","smsNumber":"555-0100"}`
	withKey("k3", withID).send(t, srv.URL).Expect(t, http.StatusAccepted)

	ids := []string{}
	for _, c := range kafka.commands() {
		ids = append(ids, c.CommandMetadata().AggregateID)
	}
	if len(ids) != 6 || ids[0] == ids[1] || ids[2] != ids[3] || ids[4] == ids[2] || ids[4] == ids[0] || ids[4] == ids[1] || ids[5] != "3f0c0000-0000-0000-0000-0000000000aa" {
		t.Errorf("aggregate ids %v; want two new ones, one for k1 twice, another for k2, and the client's for k3", ids)
	}
}

// Requests with one key and different bodies, sent at once: the claims are
// decided one at a time, and only the request whose claim won sends its
// command; every other is refused.
func TestConcurrentRequestsWithOneKeySendOneCommand(t *testing.T) {
	kafka := newKeyKafka()
	srv, _ := apiWith(t, kafka)
	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			q := withKey("shared", request{method: "POST", path: "/api/customers", body: fmt.Sprintf(`{"name":"Customer %d","smsNumber":"555-0100"}`, i)})
			statuses[i] = q.send(t, srv.URL).Status
		})
	}
	wg.Wait()
	won, refused := 0, 0
	for _, st := range statuses {
		switch st {
		case http.StatusAccepted:
			won++
		case http.StatusUnprocessableEntity:
			refused++
		}
	}
	if won != 1 || refused != n-1 || len(kafka.commands()) != 1 {
		t.Errorf("statuses %v, %d commands sent; want one request through and %d refused", statuses, len(kafka.commands()), n-1)
	}
}

func TestAMalformedKeyIsRefusedBeforeAnythingIsSent(t *testing.T) {
	for _, tc := range []struct{ name, key, says string }{
		{"too long", strings.Repeat("k", 256), "at most 255"},
		{"a tab", "a\tb", "printable ASCII"},
		{"not ASCII", "clé", "printable ASCII"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kafka := newKeyKafka()
			srv, _ := apiWith(t, kafka)
			r := withKey(tc.key, registerJohn).send(t, srv.URL).Expect(t, http.StatusBadRequest)
			if r.S("code") != "bad_request" || !strings.Contains(r.S("message"), tc.says) {
				t.Errorf("answered %s, want it to say %q", r.Raw, tc.says)
			}
			if kafka.claims != 0 || len(kafka.commands()) != 0 {
				t.Errorf("sent %d claims and %d commands for a malformed key", kafka.claims, len(kafka.commands()))
			}
		})
	}
}

// A claim that is not decided in time leaves the key unknown: nothing is
// sent, and the client is told a retry with the same key is safe.
func TestAnUndecidedClaimSendsNothing(t *testing.T) {
	kafka := newKeyKafka()
	kafka.undecided = true
	srv, _ := apiWith(t, kafka)
	r := withKey("slow", registerJohn).send(t, srv.URL).Expect(t, http.StatusServiceUnavailable)
	if !strings.Contains(r.S("message"), "retry with the same Idempotency-Key") || len(kafka.commands()) != 0 {
		t.Errorf("answered %s with %d commands sent; want nothing sent and a safe retry", r.Raw, len(kafka.commands()))
	}
}

// A body refused by the API itself binds no key: nothing was claimed.
func TestARefusedBodyDoesNotBindTheKey(t *testing.T) {
	kafka := newKeyKafka()
	srv, _ := apiWith(t, kafka)
	bad := registerJohn
	bad.body = `{"name":"John Smith","sms":"555-0100"}`
	withKey("k", bad).send(t, srv.URL).Expect(t, http.StatusBadRequest)
	withKey("k", registerJane).send(t, srv.URL).Expect(t, http.StatusAccepted)
	if kafka.claims != 1 {
		t.Errorf("%d claims; want only the valid request's", kafka.claims)
	}
}
