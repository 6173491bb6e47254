package system_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mallbots/mallbots/app/system"
	"github.com/mallbots/mallbots/app/system/systemtest"
	"github.com/mallbots/mallbots/platform/testkit"
)

// keyed sends a request with an Idempotency-Key through api.
func keyed(t *testing.T, api testkit.API, key, method, path string, body any) testkit.Response {
	t.Helper()
	return api.Do(method, path, body, "Idempotency-Key", key)
}

// expectReused checks the answer to a key sent with a request other than
// its first.
func expectReused(t *testing.T, r testkit.Response, key, first string) {
	t.Helper()
	r.Expect(t, http.StatusUnprocessableEntity)
	want := fmt.Sprintf("the Idempotency-Key %q was used with a different request (first: %s", key, first)
	if r.S("code") != "idempotency_key_reused" || !strings.HasPrefix(r.S("message"), want) || !strings.HasSuffix(r.S("message"), "use a new key for a new request") {
		t.Fatalf("want idempotency_key_reused saying %q…, got %s", want, r.Raw)
	}
}

// Issue 20 on the running system: a key is bound to the request that first
// used it. The same request again is answered with the first's result (a
// create without an id reaching the same aggregate); another body or
// another route with the key is refused with 422 and changes nothing.
func TestAnIdempotencyKeyIsBoundToItsFirstRequest(t *testing.T) {
	a := api(t)
	key := uuid.NewString()
	john := map[string]any{"name": "John Smith", "smsNumber": "555-0100"}

	first := keyed(t, a, key, "POST", "/api/customers", john).Expect(t, http.StatusCreated)
	again := keyed(t, a, key, "POST", "/api/customers", john).Expect(t, http.StatusCreated)
	if again.S("id") != first.S("id") || again.N("version") != 1 || first.N("version") != 1 {
		t.Fatalf("the same request twice: %s then %s; want the same customer at version 1", first.Raw, again.Raw)
	}

	expectReused(t, keyed(t, a, key, "POST", "/api/customers", map[string]any{"name": "Jane Doe", "smsNumber": "555-0100"}),
		key, "POST /api/customers with another body or If-Match")
	expectReused(t, keyed(t, a, key, "POST", "/api/stores", map[string]any{"name": "Waldorf Books", "location": "Level 1"}),
		key, "POST /api/customers)")
	expectReused(t, keyed(t, a, key, "PUT", "/api/customers/"+first.S("id")+"/disable", nil), key, "POST /api/customers)")

	// One customer, as John registered it; no store under the id the key
	// would have given it.
	got := a.Do("GET", "/api/customers/"+first.S("id"), nil).Expect(t, http.StatusOK)
	if got.S("name") != "John Smith" || got.N("version") != 1 || got.Body["enabled"] != true {
		t.Fatalf("the customer changed: %s", got.Raw)
	}
	a.Do("GET", "/api/stores/"+first.S("id"), nil).ExpectError(t, http.StatusNotFound, "the store does not exist")
}

// Requests with one key and different bodies, sent at once to the running
// system: exactly one is applied.
func TestConcurrentRequestsWithOneKeyApplyOne(t *testing.T) {
	a := api(t)
	key := uuid.NewString()
	const n = 6
	answers := make([]testkit.Response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			answers[i] = keyed(t, a, key, "POST", "/api/customers", map[string]any{"name": fmt.Sprintf("Racer %d", i), "smsNumber": "555-0100"})
		})
	}
	wg.Wait()
	var winner testkit.Response
	refused := 0
	for _, r := range answers {
		switch r.Status {
		case http.StatusCreated:
			if winner.Status != 0 {
				t.Fatalf("two requests with one key were applied: %s and %s", winner.Raw, r.Raw)
			}
			winner = r
		case http.StatusUnprocessableEntity:
			refused++
		default:
			t.Fatalf("unexpected answer %d %s", r.Status, r.Raw)
		}
	}
	if winner.Status == 0 || refused != n-1 {
		t.Fatalf("%d refused and no request applied", refused)
	}
	got := a.Do("GET", "/api/customers/"+winner.S("id"), nil).Expect(t, http.StatusOK)
	if got.N("version") != 1 || !strings.HasPrefix(got.S("name"), "Racer ") {
		t.Fatalf("the customer is %s", got.Raw)
	}
}

// The binding lives in Kafka, not in an API instance: a second instance,
// which recovers its share of the keys' partitions from the table topic
// when it joins, refuses what the first bound and answers what the first
// applied. Keys spread over every partition, so both instances decide
// some.
func TestAKeyIsBoundAcrossAPIInstances(t *testing.T) {
	a := api(t)
	const n = 16
	keys := make([]string, n)
	firsts := make([]testkit.Response, n)
	body := func(i int) map[string]any {
		return map[string]any{"name": fmt.Sprintf("Shared %d", i), "smsNumber": "555-0100"}
	}
	for i := range keys {
		keys[i] = uuid.NewString()
		firsts[i] = keyed(t, a, keys[i], "POST", "/api/customers", body(i)).Expect(t, http.StatusCreated)
	}

	b := a
	b.Base = "http://" + secondAPI(t).HTTPAddr() // the same key signs both instances' tokens
	for i, key := range keys {
		expectReused(t, keyed(t, b, key, "POST", "/api/customers", map[string]any{"name": "Someone Else", "smsNumber": "555-0100"}),
			key, "POST /api/customers with another body or If-Match")
		again := keyed(t, b, key, "POST", "/api/customers", body(i)).Expect(t, http.StatusCreated)
		if again.S("id") != firsts[i].S("id") || again.N("version") != 1 {
			t.Fatalf("the request retried through the second instance: %s, the first answered %s", again.Raw, firsts[i].Raw)
		}
	}
}

// secondAPI starts another instance running only the API, on this
// package's system.
func secondAPI(t *testing.T) *system.System {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := system.Start(ctx, system.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", InstanceID: "second-api", Components: []string{system.ComponentAPI},
		Brokers: sys.Brokers(), SchemaRegistry: sys.RegistryURL(), ClickHouse: sys.ClickHouseAddr(), KafkaCredentialsDir: sys.CredentialsDir(),
		Auth: system.AuthConfig{SigningKey: sharedSigningKey},
		Log:  systemtest.Log(),
	})
	if err != nil {
		t.Fatal("start a second API instance: ", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error("stop the second API instance: ", err)
		}
	})
	testkit.Eventually(t, time.Minute, func() (bool, string) {
		err := s.Ready()
		return err == nil, fmt.Sprint(err)
	})
	return s
}
