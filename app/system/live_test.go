package system_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/platform/testkit"
)

// liveOrder is one event of GET /api/ordering/{id}/live.
type liveOrder struct {
	Order *struct {
		Status string `json:"status"`
	} `json:"order"`
	Saga *struct {
		Step   string `json:"step"`
		Status string `json:"status"`
	} `json:"saga"`
	ShoppingList *struct {
		Status string         `json:"status"`
		BotID  string         `json:"botId"`
		Stops  map[string]any `json:"stops"`
	} `json:"shoppingList"`
	Notifications []struct {
		Kind string `json:"kind"`
		Text string `json:"text"`
	} `json:"notifications"`
}

// follow opens an event stream and sends its events' data on the channel
// until the test ends.
func follow(t *testing.T, token, path string) <-chan []byte {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+sys.HTTPAddr()+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan []byte, 64)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				select {
				case out <- []byte(data):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// A customer watching an order live sees it move without asking again:
// the bot's shopping list, ready, and after paying at pickup the completed
// order with the notifications sent. The server reads the order every
// 250 ms and pushes what changed, so a step shorter than that (a bot
// taking the list at once) may arrive folded into the next; the test asks
// only for what lasts.
func TestALiveOrderShowsTheCustomerEachStepAsItHappens(t *testing.T) {
	_, product := storeWithProduct(t)
	customer := newCustomer(t)
	shopper := testkit.API{T: t, Base: "http://" + sys.HTTPAddr(), Token: tokenFor(t, auth.Principal{Role: auth.Customer, CustomerID: customer})}
	basket := newBasket(t, customer, product)
	payment := shopper.Do("POST", "/api/payments", map[string]any{"customerId": customer, "amount": 10.0}).Expect(t, 201).S("id")
	// The stream opens on the basket, before its order exists.
	events := follow(t, shopper.Token, "/api/ordering/"+basket+"/live")
	shopper.Do("PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": payment}).Expect(t, 200)

	seen := map[string]bool{}
	var last liveOrder
	deadline := time.After(60 * time.Second)
	paid := false
	for !seen["order completed"] || !seen["notification order_completed"] {
		select {
		case data := <-events:
			last = liveOrder{}
			if err := json.Unmarshal(data, &last); err != nil {
				t.Fatalf("an event that is not the live order: %v: %s", err, data)
			}
		case <-deadline:
			t.Fatalf("after 60 s the stream has shown %v; the last event: %+v", seen, last)
		}
		if last.Order != nil {
			seen["order "+last.Order.Status] = true
		}
		if last.Saga != nil && last.Saga.Step != "" {
			seen["saga step "+last.Saga.Step] = true
		}
		if sl := last.ShoppingList; sl != nil && len(sl.Stops) > 0 {
			seen["shopping list with stops"] = true
			seen["shopping list "+sl.Status] = true
		}
		for _, n := range last.Notifications {
			seen["notification "+n.Kind] = true
		}
		if last.Order != nil && last.Order.Status == "ready" && !paid {
			// The invoice follows the order's OrderReadied (a policy), so
			// it may not exist yet when the order shows ready.
			testkit.Eventually(t, 10*time.Second, func() (bool, string) {
				r := shopper.Do("PUT", "/api/payments/invoices/"+basket+"/pay", nil)
				return r.Status == 200, r.Raw
			})
			paid = true
		}
	}
	for _, want := range []string{"order ready", "shopping list with stops", "notification order_received", "notification order_ready"} {
		if !seen[want] {
			t.Errorf("the stream never showed %s; it showed %v", want, seen)
		}
	}
}
