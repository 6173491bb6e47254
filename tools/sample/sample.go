// Package sample sends a little traffic through the HTTP API, as a user
// would, so a fresh `mallbots run --sample-traffic` has something to show.
package sample

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Tokens are the bearer tokens the sample traffic sends: the operator
// builds the mall, a kiosk registers the shopper, who then shops with the
// token the registration answered.
type Tokens struct {
	Operator, Kiosk string
}

type client struct {
	base  string
	token string
	http  *http.Client
	out   io.Writer
}

// as is the client with another token.
func (c *client) as(token string) *client {
	cc := *c
	cc.token = token
	return &cc
}

func (c *client) authorize(req *http.Request) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
}

func (c *client) call(ctx context.Context, method, path string, body any) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	fmt.Fprintf(c.out, "  %s %s → %d %s", method, path, resp.StatusCode, raw)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if resp.StatusCode >= 300 {
		return out, fmt.Errorf("%s %s answered %d: %s", method, path, resp.StatusCode, raw)
	}
	return out, nil
}

// The sample's catalogue and shopper. Their names are not the README's
// "Try it" names ("Waldorf Books", "Wizard w/ crystal", John Smith), so
// that following Try it after a sample run reads and buys only what Try
// it created; TestTheSampleNamesNothingTryItCreates keeps it so.
type product struct {
	name  string
	price float64
}

var catalogue = []struct {
	name, location string
	products       []product
}{
	{"Lighthouse Books", "Level 1, north wing", []product{{"The Hobbit", 12.50}, {"Dune", 9.99}}},
	{"Nic & Naks", "Level 2, food court", []product{{"Crystal ball", 7.49}, {"Dragon figurine", 24.00}}},
}

const shopperName, shopperSMS = "Ada Lovelace", "+15550199"

// Run creates two stores with products, changes a few things, shows one
// rule refusing a command, and takes a shopper's order to completion. It
// returns the order's id.
func Run(ctx context.Context, baseURL string, tokens Tokens, out io.Writer) (string, error) {
	c := &client{base: baseURL, token: tokens.Operator, http: &http.Client{Timeout: 10 * time.Second}, out: out}
	fmt.Fprintln(out, "Sample traffic through the HTTP API:")
	var shelf []string // product ids, for the shopper below
	for _, s := range catalogue {
		store, err := c.call(ctx, "POST", "/api/stores", map[string]any{"name": s.name, "location": s.location})
		if err != nil {
			return "", err
		}
		id, _ := store["id"].(string)
		if _, err := c.call(ctx, "PUT", "/api/stores/"+id+"/participating", nil); err != nil {
			return "", err
		}
		for i, p := range s.products {
			prod, err := c.call(ctx, "POST", "/api/stores/"+id+"/products",
				map[string]any{"name": p.name, "description": "sample", "sku": fmt.Sprintf("SKU-%d", i+1), "price": p.price})
			if err != nil {
				return "", err
			}
			pid, _ := prod["id"].(string)
			shelf = append(shelf, pid)
			if i == 0 {
				if _, err := c.call(ctx, "PUT", "/api/stores/products/"+pid+"/increasePrice", map[string]any{"price": p.price + 1}); err != nil {
					return "", err
				}
			}
		}
	}
	// A rule at work: a store needs a name.
	_, _ = c.call(ctx, "POST", "/api/stores", map[string]any{"name": "", "location": "nowhere"})
	return c.as(tokens.Kiosk).shop(ctx, shelf)
}

// shop takes one customer through the mall: registered at a kiosk (c),
// then with their own token: basket, payment, checkout, the saga and the
// bots, the invoice paid at pickup. It returns the order id.
func (kiosk *client) shop(ctx context.Context, shelf []string) (string, error) {
	fmt.Fprintln(kiosk.out, "\nA shopper, signed in at a kiosk:")
	customer, err := kiosk.call(ctx, "POST", "/api/customers", map[string]any{"name": shopperName, "smsNumber": shopperSMS})
	if err != nil {
		return "", err
	}
	customerID, _ := customer["id"].(string)
	token, _ := customer["token"].(string)
	if token == "" {
		return "", fmt.Errorf("the kiosk's registration answered no token for the customer")
	}
	c := kiosk.as(token)
	basket, err := c.call(ctx, "POST", "/api/baskets", map[string]any{"customerId": customerID})
	if err != nil {
		return "", err
	}
	basketID, _ := basket["id"].(string)
	for _, pid := range []string{shelf[1], shelf[2]} {
		if _, err := c.call(ctx, "PUT", "/api/baskets/"+basketID+"/addItem", map[string]any{"productId": pid, "quantity": 2}); err != nil {
			return "", err
		}
	}
	b, err := c.call(ctx, "GET", "/api/baskets/"+basketID, nil)
	if err != nil {
		return "", err
	}
	payment, err := c.call(ctx, "POST", "/api/payments", map[string]any{"customerId": customerID, "amount": b["total"]})
	if err != nil {
		return "", err
	}
	paymentID, _ := payment["id"].(string)
	if _, err := c.call(ctx, "PUT", "/api/baskets/"+basketID+"/checkout", map[string]any{"paymentId": paymentID}); err != nil {
		return "", err
	}
	order := "/api/ordering/" + basketID
	if err := c.await(ctx, order, "ready"); err != nil {
		return "", err
	}
	if _, err := c.call(ctx, "GET", order+"/saga", nil); err != nil {
		return "", err
	}
	if err := c.await(ctx, "/api/payments/invoices/"+basketID, "pending"); err != nil {
		return "", err
	}
	if _, err := c.call(ctx, "PUT", "/api/payments/invoices/"+basketID+"/pay", nil); err != nil {
		return "", err
	}
	return basketID, c.await(ctx, order, "completed")
}

// await polls a resource until its status is want, printing each change.
func (c *client) await(ctx context.Context, path, want string) error {
	deadline := time.Now().Add(time.Minute)
	seen := ""
	for time.Now().Before(deadline) {
		r, err := c.get(ctx, path)
		if err != nil {
			return err
		}
		if st, _ := r["status"].(string); st != seen && st != "" {
			seen = st
			fmt.Fprintf(c.out, "  GET %s → status %s\n", path, st)
		}
		if seen == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not reach %s within a minute", path, want)
}

// get reads quietly.
func (c *client) get(ctx context.Context, path string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out, nil
}
