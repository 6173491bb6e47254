package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/emitters"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/payments"
	sagas "github.com/mallbots/mallbots/schemas/saga"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/views/search"
	"github.com/mallbots/mallbots/views/state"
)

// fuzzBody has a field of every kind the routes read: strings, an optional
// amount, numbers, a flag, a list and a nested object.
type fuzzBody struct {
	ID, Name, Category string
	Price              *Money `json:"price"`
	Quantity           int    `json:"quantity"`
	Enabled            bool   `json:"enabled"`
	Items              []struct {
		ProductID string `json:"productId"`
		Quantity  int    `json:"quantity"`
	} `json:"items"`
}

// FuzzDecodeBody sends arbitrary bytes to decode, the reader of every JSON
// body of the API. Either it accepts them and has answered nothing (the
// value survives a round trip through JSON), or it has answered 400 or 413
// with a code and a message.
//
//	go test -run='^$' -fuzz=FuzzDecodeBody -fuzztime=60s ./app/httpapi/
func FuzzDecodeBody(f *testing.F) {
	for _, seed := range []string{
		`{"id":"p1","name":"Robot kit","category":"toys","price":24.50,"quantity":2,"enabled":true,"items":[{"productId":"p1","quantity":1}]}`,
		`{"price":9.999}`, `{"price":1e2}`, `{"price":"9.99"}`, `{"price":null}`, `{"price":-0.01}`,
		`{"quantity":"2"}`, `{"items":{}}`, `{"unknown":1}`, `{"name":"a"} {}`, `{"name":"a"`, `[]`, `"x"`, ``, `{"Name":"\ud800"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in fuzzBody
		rec := httptest.NewRecorder()
		ok := decode(rec, httptest.NewRequest(http.MethodPost, "/api/any", bytes.NewReader(body)), &in)
		if ok {
			if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
				t.Fatalf("decode accepted %q but answered %d %q", body, rec.Code, rec.Body)
			}
			again, err := json.Marshal(in)
			if err != nil {
				t.Fatalf("an accepted body does not marshal: %v", err)
			}
			var back fuzzBody
			if err := json.Unmarshal(again, &back); err != nil || !reflect.DeepEqual(back, in) {
				t.Fatalf("%q decodes to %+v, which reads back from %s as %+v (%v)", body, in, again, back, err)
			}
			return
		}
		if rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("%q refused with HTTP %d, want 400 or 413", body, rec.Code)
		}
		var e apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("%q refused without a code and a message: %q", body, rec.Body)
		}
	})
}

// FuzzMoney reads arbitrary JSON as an amount. An accepted amount was a
// plain decimal (no exponent, at most two places) and is exactly that number
// in minor units (checked with math/big), and it writes back as a number that
// reads as the same amount; a plain decimal within range is always accepted.
//
//	go test -run='^$' -fuzz=FuzzMoney -fuzztime=60s ./app/httpapi/
func FuzzMoney(f *testing.F) {
	for _, seed := range []string{"9.99", "10", "0.5", "-0.01", "0", "-0", "1e2", "1.234", `"9.99"`, "null", "92233720368547758.07", "46116860184273879.03", "[1]", "{}"} {
		f.Add([]byte(seed))
	}
	limit := big.NewRat(1<<62/100, 1) // the largest whole part Money accepts
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Money
		err := json.Unmarshal(b, &m)
		text := strings.Trim(string(b), " \t\r\n") // JSON's whitespace, which has no \v
		// Only a plain decimal is given to math/big: a JSON exponent such as
		// 1e999999999 would have it compute a number of a billion digits.
		plain := plainDecimal.MatchString(text)
		var exact *big.Rat
		if plain {
			exact, _ = new(big.Rat).SetString(text)
		}
		if err != nil {
			if plain && new(big.Rat).Abs(exact).Cmp(limit) <= 0 {
				t.Fatalf("%s is a plain amount, refused: %v", b, err)
			}
			return
		}
		if !plain {
			t.Fatalf("%q is not a plain decimal with at most two places but reads as %d", b, m)
		}
		if cents := new(big.Rat).Mul(exact, big.NewRat(100, 1)); cents.Cmp(big.NewRat(int64(m), 1)) != 0 {
			t.Fatalf("%s reads as %d minor units, want %s", b, m, cents.FloatString(2))
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back Money
		if err := json.Unmarshal(out, &back); err != nil || back != m {
			t.Fatalf("%d writes as %s, which reads back as %d (%v)", m, out, back, err)
		}
	})
}

// plainDecimal is a JSON number without an exponent and with at most two
// decimal places.
var plainDecimal = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]{1,2})?$`)

// The ids the fuzzed API's tables hold: every table has a valid snapshot
// under fuzzID, and the tables read one at a time (not listed) a record that
// does not decode under fuzzCorrupt.
const (
	fuzzID      = "11111111-1111-4111-8111-111111111111"
	fuzzCorrupt = "22222222-2222-4222-8222-222222222222"
)

// FuzzHandler drives the whole API, every route and none, with an arbitrary
// method, path, body and headers, against fakes of what it reads and a fake
// Kafka whose answer the input picks too (accepted, rejected of every kind,
// no result yet, failed). Whatever arrives, the API answers: no panic, a
// status of 2xx, 3xx (net/http's redirect of a path it cleans, with a
// Location), 4xx or 5xx; JSON for a success and {"code","message"} for an
// error. A 5xx comes only from a dependency that failed: the fake Kafka
// failing or not answering in time (503), or the record that does not
// decode (500). Every command the
// API sends is one the real sender can send: it has an aggregate id, and it
// encodes on its command topic to bytes that decode back to the same value.
//
//	go test -run='^$' -fuzz='^FuzzHandler$' -fuzztime=60s -parallel 1 ./app/httpapi/
func FuzzHandler(f *testing.F) {
	sd, _ := testkit.Serde(f)
	api := fuzzAPI(f, sd)

	body := func(v string) []byte { return []byte(v) }
	for _, seed := range []struct {
		method, path string
		body         []byte
		headers      string
	}{
		{"GET", "/healthz", nil, ""},
		{"GET", "/readyz", nil, ""},
		{"POST", "/api/stores", body(`{"name":"Robots","location":"Upper floor"}`), "Idempotency-Key: k1"},
		{"POST", "/api/customers", body(`{"name":"John Smith"}`), "Content-Type: text/plain"},
		{"POST", "/api/stores", body(`{"id":"` + fuzzID + `","name":"Robots","location":"x"}`), ""},
		{"GET", "/api/stores", nil, ""},
		{"GET", "/api/stores/participating", nil, ""},
		{"GET", "/api/stores/" + fuzzID, nil, ""},
		{"GET", "/api/stores/" + fuzzID + "?minVersion=2", nil, ""},
		{"PUT", "/api/stores/" + fuzzID + "/participating", nil, "If-Match: 1"},
		{"DELETE", "/api/stores/" + fuzzID + "/participating", nil, "If-Match: -1"},
		{"PUT", "/api/stores/" + fuzzID + "/rebrand", body(`{"name":"Bots"}`), ""},
		{"POST", "/api/stores/" + fuzzID + "/products", body(`{"name":"Kit","description":"d","sku":"K1","price":24.50,"category":"toys"}`), ""},
		{"GET", "/api/stores/" + fuzzID + "/products", nil, ""},
		{"GET", "/api/stores/products/" + fuzzID, nil, ""},
		{"PUT", "/api/stores/products/" + fuzzID + "/rebrand", body(`{"name":"Kit 2","description":"d2"}`), ""},
		{"PUT", "/api/stores/products/" + fuzzID + "/increasePrice", body(`{"price":1.25}`), ""},
		{"PUT", "/api/stores/products/" + fuzzID + "/decreasePrice", body(`{"price":0.01}`), ""},
		{"DELETE", "/api/stores/products/" + fuzzID, nil, ""},
		{"POST", "/api/customers", body(`{"name":"John Smith","smsNumber":"555-0100"}`), ""},
		{"GET", "/api/customers/" + fuzzID, nil, ""},
		{"GET", "/api/customers/" + fuzzCorrupt, nil, ""},
		{"PUT", "/api/customers/" + fuzzID + "/enable", nil, ""},
		{"PUT", "/api/customers/" + fuzzID + "/disable", nil, ""},
		{"PUT", "/api/customers/" + fuzzID + "/change-sms", body(`{"smsNumber":"555-0101"}`), ""},
		{"POST", "/api/payments", body(`{"customerId":"` + fuzzID + `","amount":10.00}`), ""},
		{"GET", "/api/payments/" + fuzzID, nil, ""},
		{"GET", "/api/payments/invoices/" + fuzzID, nil, ""},
		{"PUT", "/api/payments/invoices/" + fuzzID + "/pay", nil, ""},
		{"POST", "/api/baskets", body(`{"customerId":"` + fuzzID + `"}`), ""},
		{"GET", "/api/baskets/" + fuzzID, nil, ""},
		{"PUT", "/api/baskets/" + fuzzID + "/addItem", body(`{"productId":"` + fuzzID + `","quantity":2}`), ""},
		{"PUT", "/api/baskets/" + fuzzID + "/removeItem", body(`{"productId":"` + fuzzID + `","quantity":1}`), ""},
		{"PUT", "/api/baskets/" + fuzzID + "/checkout", body(`{"paymentId":"` + fuzzID + `"}`), ""},
		{"DELETE", "/api/baskets/" + fuzzID, nil, ""},
		{"GET", "/api/ordering/" + fuzzID, nil, ""},
		{"GET", "/api/ordering/" + fuzzCorrupt, nil, ""},
		{"DELETE", "/api/ordering/" + fuzzID, nil, ""},
		{"GET", "/api/ordering/" + fuzzID + "/saga", nil, ""},
		{"GET", "/api/depot/shopping/" + fuzzID, nil, ""},
		{"GET", "/api/depot/bots", nil, ""},
		{"POST", "/api/search/orders", body(`{"customerId":"` + fuzzID + `","createdAfter":"2026-01-02T15:04:05Z","minTotal":1.00,"limit":10}`), ""},
		{"POST", "/api/search/orders", body(`{"cursor":"eyJ2IjoxfQ"}`), ""},
		{"GET", "/api/search/orders/" + fuzzID, nil, ""},
		{"GET", "/api/history/order/" + fuzzID + "?at=2026-11-22T12:00:00+01:00", nil, ""},
		{"GET", "/api/history/nothing/" + fuzzID, nil, ""},
		{"GET", "/api/projections", nil, ""},
		{"GET", "/api//customers", nil, ""},
		{"PATCH", "/api/customers/" + fuzzID, nil, ""},
		{"GET", "/nowhere", nil, "Traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
	} {
		headers := seed.headers
		if seed.body != nil {
			headers = strings.TrimPrefix(headers+"\nContent-Type: application/json", "\n")
		}
		for outcome := range uint8(len(fuzzOutcomes)) {
			f.Add(seed.method, seed.path, seed.body, headers, outcome)
		}
	}

	f.Fuzz(func(t *testing.T, method, path string, body []byte, headers string, outcome uint8) {
		// net/http hands a handler only a request line it could parse: a
		// method that is a token and a path in origin form.
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			return
		}
		call := &fuzzCall{outcome: fuzzOutcomes[int(outcome)%len(fuzzOutcomes)]}
		req, err := http.NewRequestWithContext(context.WithValue(context.Background(), fuzzCallKey{}, call), method, "http://api"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+OperatorToken)
		for _, line := range strings.Split(headers, "\n") {
			name, value, ok := strings.Cut(line, ":")
			if ok && validHeader(name, strings.TrimSpace(value)) {
				req.Header.Add(name, strings.TrimSpace(value))
			}
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)

		what := fmt.Sprintf("%s %s with %q and headers %q (Kafka %s)", req.Method, path, body, headers, call.outcome.name)
		if call.problem != "" {
			t.Fatalf("%s: the API sent a command the real sender cannot send: %s", what, call.problem)
		}
		switch code := rec.Code; {
		case code >= 200 && code < 300:
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s: HTTP %d with a body that is not JSON: %q", what, code, rec.Body)
			}
			return
		case code >= 300 && code < 400:
			if rec.Header().Get("Location") == "" {
				t.Fatalf("%s: HTTP %d without a Location", what, code)
			}
			return
		case code >= 400 && code < 500:
		case code == http.StatusServiceUnavailable && call.unanswered:
		case code == http.StatusInternalServerError && strings.Contains(req.URL.Path, fuzzCorrupt):
		default:
			t.Fatalf("%s: HTTP %d %s", what, code, rec.Body)
		}
		var e apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("%s: HTTP %d without a code and a message: %q", what, rec.Code, rec.Body)
		}
	})
}

// fuzzOutcome is how the fake Kafka answers a command.
type fuzzOutcome struct {
	name   string
	result schemas.CommandResult // Accepted, Kind, Code, Message
	err    error
}

var fuzzOutcomes = []fuzzOutcome{
	{name: "accepts", result: schemas.CommandResult{Accepted: true, Version: 1}},
	{name: "rejects: not found", result: schemas.CommandResult{Kind: "not_found", Code: "not_found", Message: "it does not exist"}},
	{name: "rejects: conflict", result: schemas.CommandResult{Kind: "conflict", Code: "version_conflict", Message: "expected another version"}},
	{name: "rejects: unauthorized", result: schemas.CommandResult{Kind: "unauthorized", Code: "unauthorized", Message: "not yours"}},
	{name: "rejects: invalid", result: schemas.CommandResult{Kind: "invalid", Code: "invalid", Message: "no such thing"}},
	{name: "has no result yet", err: emitters.ErrNoResultYet},
	{name: "fails", err: errors.New("kafka: the broker refused the record")},
}

// fuzzCall is one request's dealings with the fake Kafka, found through the
// request's context (SendAndWait gets a context derived from it).
type fuzzCall struct {
	outcome    fuzzOutcome
	unanswered bool   // the fake Kafka failed or had no result in time
	problem    string // why a command sent could not have been sent for real
}

type fuzzCallKey struct{}

// fuzzSender is the fake Kafka: it checks each command as emitters.Commands
// would before producing it, then answers as the request's outcome says.
type fuzzSender struct{ sd *serde.Serde }

func (s fuzzSender) SendAndWait(ctx context.Context, cmd schemas.Command) (schemas.CommandResult, error) {
	call, _ := ctx.Value(fuzzCallKey{}).(*fuzzCall)
	if call == nil {
		return schemas.CommandResult{}, errors.New("fuzzSender: a request without its fuzzCall")
	}
	id := emitters.Prepare(cmd)
	if problem := s.check(cmd); problem != "" && call.problem == "" {
		call.problem = problem
	}
	if call.outcome.err != nil {
		call.unanswered = true
		return schemas.CommandResult{CommandID: id}, call.outcome.err
	}
	res := call.outcome.result
	res.CommandID, res.AggregateID, res.CorrelationID = id, cmd.CommandMetadata().AggregateID, id
	return res, nil
}

// check says why emitters.Commands could not send cmd, "" when it could:
// it needs an aggregate id, a command topic, and a value that encodes, and
// what it writes must read back as what was sent.
func (s fuzzSender) check(cmd schemas.Command) string {
	if cmd.CommandMetadata().AggregateID == "" {
		return "the command has no aggregate id"
	}
	typ, ok := s.sd.TypeOf(cmd)
	if !ok {
		return fmt.Sprintf("%T is not a command of the contract", cmd)
	}
	topic, ok := topics.CommandTopic(typ.Name)
	if !ok {
		return typ.Name + " has no command topic"
	}
	b, err := s.sd.Encode(topic.Name, cmd)
	if err != nil {
		return err.Error()
	}
	back, err := s.sd.Decode(context.Background(), serde.Position{Topic: topic.Name, Offset: -1}, b)
	if err != nil {
		return "what it encodes to does not decode: " + err.Error()
	}
	again, err := s.sd.Encode(topic.Name, back)
	if err != nil || !bytes.Equal(again, b) {
		return fmt.Sprintf("it does not survive a round trip: %+v reads back as %+v (%v)", cmd, back, err)
	}
	return ""
}

// fuzzAPI is the API on goka views of tables under goka's tester, each
// holding a snapshot under fuzzID (and the ones read one at a time a record
// that does not decode under fuzzCorrupt), with fakes for the saga, the
// search, the history and the projections. Writes wait at most a few
// milliseconds for a view to show them.
func fuzzAPI(f *testing.F, sd *serde.Serde) http.Handler {
	tt := tester.New(f)
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	views := Views{
		Stores:        fuzzView(f, ctx, tt, sd, topics.Stores.Table, false, stores.Store{ID: fuzzID, Name: "Robots", Participating: true}),
		Products:      fuzzView(f, ctx, tt, sd, topics.Products.Table, false, stores.Product{ID: fuzzID, StoreID: fuzzID, Name: "Kit", PriceCents: 2450}),
		Customers:     fuzzView(f, ctx, tt, sd, topics.Customers.Table, true, customers.Customer{ID: fuzzID, Name: "John Smith", Enabled: true}),
		Baskets:       fuzzView(f, ctx, tt, sd, topics.Baskets.Table, true, baskets.Basket{ID: fuzzID, CustomerID: fuzzID, Items: map[string]baskets.BasketItem{fuzzID: {ProductID: fuzzID, Quantity: 2, PriceCents: 2450}}}),
		Orders:        fuzzView(f, ctx, tt, sd, topics.Orders.Table, true, ordering.Order{ID: fuzzID, CustomerID: fuzzID, Status: "rejected", RejectionReason: "no"}),
		Payments:      fuzzView(f, ctx, tt, sd, topics.Payments.Table, true, payments.Payment{ID: fuzzID, CustomerID: fuzzID, AmountCents: 1000}),
		Invoices:      fuzzView(f, ctx, tt, sd, topics.Invoices.Table, true, payments.Invoice{ID: fuzzID, OrderID: fuzzID, AmountCents: 1000}),
		ShoppingLists: fuzzView(f, ctx, tt, sd, topics.ShoppingLists.Table, true, depot.ShoppingList{ID: fuzzID, OrderID: fuzzID, AvailableAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}),
		Bots:          fuzzView(f, ctx, tt, sd, topics.Bots.Table, false, depot.Bot{ID: fuzzID, Status: "active", ShoppingListID: fuzzID}),
	}
	return New(WithTestAuth(Deps{
		Commands:    fuzzSender{sd: sd},
		Views:       views,
		Sagas:       fuzzSagas{},
		Search:      fuzzSearch{},
		History:     fuzzHistory{},
		Projections: fuzzProjections{},
		Ready:       func() error { return nil },
		Timeout:     5 * time.Millisecond,
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}))
}

// fuzzView is a running view of table holding a snapshot of state under
// fuzzID and, when corrupt, bytes that do not decode under fuzzCorrupt.
func fuzzView[S any](f *testing.F, ctx context.Context, tt *tester.Tester, sd *serde.Serde, table topics.Topic, corrupt bool, st S) *state.View[S] {
	f.Helper()
	v, err := state.New[S](nil, table, sd, goka.WithViewTester(tt))
	if err != nil {
		f.Fatal(err)
	}
	go func() { _ = v.Run(ctx) }()
	b, err := sd.Encode(table.Name, &schemas.Snapshot[S]{AggregateID: fuzzID, Version: 3, LastOffset: 7, UpdatedAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), State: st})
	if err != nil {
		f.Fatal(err)
	}
	tt.SetTableValue(goka.Table(table.Name), fuzzID, b)
	if corrupt {
		tt.SetTableValue(goka.Table(table.Name), fuzzCorrupt, []byte{0, 0, 0, 0, 1, 0xff})
	}
	return v
}

type fuzzSagas struct{}

func (fuzzSagas) Get(_ context.Context, orderID string) (*sagas.CreateOrderSaga, error) {
	if orderID != fuzzID {
		return nil, nil
	}
	return &sagas.CreateOrderSaga{OrderID: fuzzID, CustomerID: fuzzID, Status: "compensating", Step: "authorize_payment", PendingCommandID: "c1",
		Deadline: time.Date(2026, 11, 22, 12, 0, 30, 0, time.UTC)}, nil
}

// fuzzSearch validates a search as views/search's Querier does before it
// asks ClickHouse, and finds nothing but fuzzID.
type fuzzSearch struct{}

func (fuzzSearch) Search(_ context.Context, r search.Request) (search.Page, error) {
	if bad := r.Validate(); bad != nil {
		return search.Page{}, bad
	}
	return search.Page{}, nil
}

func (fuzzSearch) Order(_ context.Context, id string) (search.Order, error) {
	if id != fuzzID {
		return search.Order{}, search.ErrNotFound
	}
	return search.Order{ID: fuzzID, CustomerID: fuzzID, TotalCents: 2450, Status: "approved", UpdatedAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}, nil
}

// fuzzHistory knows replay's types and has a point of fuzzID for each.
type fuzzHistory struct{}

func (fuzzHistory) AsOf(_ context.Context, typ, id string, at time.Time) (*replay.Point, error) {
	switch {
	case !slices.Contains(replay.Types(), typ):
		return nil, &replay.UnknownTypeError{Name: typ}
	case id != fuzzID:
		return nil, &replay.NotYetError{Type: typ, ID: id, At: at}
	}
	return &replay.Point{Type: typ, ID: id, At: at, Version: 1, LatestVersion: 2, State: map[string]any{"id": id}}, nil
}

type fuzzProjections struct{}

func (fuzzProjections) Projections(context.Context) (ProjectionsReport, error) {
	return ProjectionsReport{MeasuredAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Projections: []ProjectionStatus{{Name: "search", Group: "g"}}}, nil
}

// validHeader says whether net/http's server would pass on a header line:
// a name of token characters and a value without control characters but tab.
func validHeader(name, value string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	for _, c := range []byte(value) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
