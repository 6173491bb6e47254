package system_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas"
	contractstores "github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// Who issued a command, through the real API (docs/adr/0023): the token's
// subject and role, recorded in the event in the log, in its row in
// ClickHouse and in the aggregate's history; the body cannot name another.
func TestAPriceChangeNamesTheTokensSubjectInTheLogTheWarehouseAndTheHistory(t *testing.T) {
	store, product := storeWithProduct(t)
	manager := auth.Principal{Subject: "manager-" + uuid.NewString()[:8], Role: auth.StoreManager, StoreIDs: []string{store}}
	asManager := api(t).As(tokenFor(t, manager))

	// A body naming another issuer is refused and sends nothing.
	asManager.Do("PUT", "/api/stores/products/"+product+"/increasePrice",
		map[string]any{"price": 99, "issuedBy": "mallory", "issuerRole": "operator"}).Expect(t, http.StatusBadRequest)
	asManager.Do("PUT", "/api/stores/products/"+product+"/increasePrice", map[string]any{"price": 12.5}).Expect(t, http.StatusOK)

	// The log: the product's events, the raise the manager's.
	evs := productEventsInLog(t, product)
	if len(evs) != 2 {
		t.Fatalf("product %s has %d events, want ProductAdded and one ProductPriceIncreased (the refused body sent nothing): %+v", product, len(evs), evs)
	}
	added, raised := evs[0].EventMetadata(), evs[1].(*contractstores.ProductPriceIncreased)
	if added.IssuedBy != string(auth.Operator) || added.IssuerRole != string(auth.Operator) {
		t.Errorf("ProductAdded, sent with the operator's token, names %q (%q)", added.IssuedBy, added.IssuerRole)
	}
	if raised.IssuedBy != manager.Subject || raised.IssuerRole != string(auth.StoreManager) || raised.PriceCents != 1250 {
		t.Errorf("ProductPriceIncreased names %q (%q) at %d cents, want %s (store_manager) at 1250", raised.IssuedBy, raised.IssuerRole, raised.PriceCents, manager.Subject)
	}

	// The warehouse: the event's row names the same.
	conn := clickhouseConn(t)
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		var by, role string
		err := conn.QueryRow(context.Background(), `
			SELECT issued_by, issuer_role FROM mallbots.events FINAL
			WHERE aggregate_type = 'product' AND aggregate_id = ? AND event_type = 'mallbots.stores.ProductPriceIncreased'`, product).Scan(&by, &role)
		return err == nil && by == manager.Subject && role == string(auth.StoreManager),
			fmt.Sprintf("the ClickHouse row of the raise names %q (%q), %v; want %s (store_manager)", by, role, err, manager.Subject)
	})

	// The history: each change with its issuer.
	r := api(t).Do("GET", "/api/history/product/"+product, nil).Expect(t, http.StatusOK)
	changes, _ := r.Body["changes"].([]any)
	if len(changes) != 2 {
		t.Fatalf("history of product %s: %s, want two changes", product, r.Raw)
	}
	last, _ := changes[1].(map[string]any)
	if last["event"] != "ProductPriceIncreased" || last["issuedBy"] != manager.Subject || last["issuerRole"] != string(auth.StoreManager) {
		t.Errorf("the history's last change is %v, want ProductPriceIncreased by %s (store_manager)", last, manager.Subject)
	}
	// Each change carries its payload and its place in the chain: the
	// explorer shows them.
	first, _ := changes[0].(map[string]any)
	if payload, _ := last["payload"].(map[string]any); payload["priceCents"] == nil {
		t.Errorf("the raise's payload has no priceCents: %v", last["payload"])
	}
	if h, _ := last["hash"].(string); h == "" || last["prevHash"] != first["hash"] {
		t.Errorf("the raise's prevHash %v is not the addition's hash %v (its own: %v)", last["prevHash"], first["hash"], last["hash"])
	}
}

// productEventsInLog reads one product's events from its event log.
func productEventsInLog(t *testing.T, product string) []schemas.Event {
	t.Helper()
	cl, err := kgo.NewClient(append(kafkaAs(t, topics.RoleAdmin), kgo.ConsumeTopics(topics.Products.Events.Name), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var evs []schemas.Event
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(rec *kgo.Record) {
			if string(rec.Key) != product {
				return
			}
			v, err := sys.Serde().Decode(context.Background(), positionOf(rec), rec.Value)
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, v.(schemas.Event))
		})
	}
	return evs
}

// The commands MallBots sends itself name the service that sent them
// (docs/adr/0023): the order a checkout creates is the policies', its
// approval the saga's, the shopping the bot pool's (its commands are
// correlated by the shopping list); the checkout itself the caller's.
func TestACheckoutsFollowUpCommandsNameTheServicesThatIssuedThem(t *testing.T) {
	_, product := storeWithProduct(t)
	order, _ := readyOrder(t, newCustomer(t), product, false)
	want := map[string][2]string{
		"basket/mallbots.baskets.BasketCheckedOut":          {string(auth.Operator), string(auth.Operator)},
		"order/mallbots.ordering.OrderCreated":              {schemas.IssuerPolicies, schemas.ServiceRole},
		"order/mallbots.ordering.OrderApproved":             {schemas.IssuerSaga, schemas.ServiceRole},
		"order/mallbots.ordering.OrderReadied":              {schemas.IssuerPolicies, schemas.ServiceRole},
		"shopping_list/mallbots.depot.ShoppingListAssigned": {schemas.IssuerBotPool, schemas.ServiceRole},
	}
	conn := clickhouseConn(t)
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		got := map[string][2]string{}
		rows, err := conn.Query(context.Background(), `
			SELECT aggregate_type, event_type, issued_by, issuer_role FROM mallbots.events FINAL
			WHERE correlation_id = ? OR aggregate_id = ? OR correlation_id IN (
				SELECT aggregate_id FROM mallbots.events WHERE aggregate_type = 'shopping_list' AND correlation_id = ?)`, order, order, order)
		if err != nil {
			return false, err.Error()
		}
		defer rows.Close()
		for rows.Next() {
			var typ, event, by, role string
			if err := rows.Scan(&typ, &event, &by, &role); err != nil {
				return false, err.Error()
			}
			got[typ+"/"+event] = [2]string{by, role}
		}
		for k, w := range want {
			if got[k] != w {
				return false, fmt.Sprintf("%s names %q, want %q; all: %v", k, got[k], w, got)
			}
		}
		return true, ""
	})
}
