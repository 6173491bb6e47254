package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/google/uuid"
)

type product struct {
	id    string
	cents int64
}

// setupMall creates the catalogue the shoppers buy from.
func setupMall(ctx context.Context, cl *client, cfg Config) ([]product, error) {
	var mall []product
	for s := 0; s < cfg.Stores; s++ {
		r, err := cl.must(ctx, "POST", "/api/stores", map[string]any{"id": uuid.NewString(), "name": fmt.Sprintf("Load Store %d", s+1), "location": fmt.Sprintf("Level %d", s%3+1)}, 201, "create a store")
		if err != nil {
			return nil, err
		}
		store := r.s("id")
		if _, err := cl.must(ctx, "PUT", "/api/stores/"+store+"/participating", nil, 200, "enable participation"); err != nil {
			return nil, err
		}
		for p := 0; p < cfg.ProductsPerStore; p++ {
			cents := int64(199 + 250*p + 37*s)
			r, err := cl.must(ctx, "POST", "/api/stores/"+store+"/products", map[string]any{
				"id": uuid.NewString(), "name": fmt.Sprintf("Item %d-%d", s+1, p+1), "description": "load test", "sku": fmt.Sprintf("LD-%d-%d", s+1, p+1), "price": money(cents)}, 201, "add a product")
			if err != nil {
				return nil, err
			}
			mall = append(mall, product{id: r.s("id"), cents: cents})
		}
	}
	return mall, nil
}

// plan is what one shopper will do, drawn up front so a run is repeatable
// from its seed.
type plan struct {
	items    map[product]int
	remove   *product
	disabled bool
	underpay bool
	cancel   bool
}

func newPlan(rng *rand.Rand, cfg Config, mall []product) plan {
	p := plan{items: map[product]int{}}
	for n := 1 + rng.IntN(3); n > 0; n-- {
		p.items[mall[rng.IntN(len(mall))]] += 1 + rng.IntN(3)
	}
	switch x := rng.Float64(); {
	case x < cfg.DisabledShare:
		p.disabled = true
	case x < cfg.DisabledShare+cfg.UnderpayShare:
		p.underpay = true
	case x < cfg.DisabledShare+cfg.UnderpayShare+cfg.CancelShare:
		p.cancel = true
	}
	if rng.Float64() < cfg.RemoveShare && len(p.items) > 1 {
		for prod := range p.items {
			p.remove = &prod
			break
		}
	}
	return p
}

func money(cents int64) float64 { return float64(cents) / 100 }

// shop runs one shopper to the end of its order and returns the order id
// and its final status.
func shop(ctx context.Context, cl *client, cfg Config, p plan) (string, string, error) {
	r, err := cl.must(ctx, "POST", "/api/customers", map[string]any{"id": uuid.NewString(), "name": "Shopper " + uuid.NewString()[:8], "smsNumber": "+1555" + fmt.Sprint(rand.IntN(10_000_000))}, 201, "register")
	if err != nil {
		return "", "", err
	}
	customer := r.s("id")
	if r, err = cl.must(ctx, "POST", "/api/baskets", map[string]any{"id": uuid.NewString(), "customerId": customer}, 201, "start a basket"); err != nil {
		return "", "", err
	}
	basket := r.s("id")
	var total int64
	for prod, qty := range p.items {
		if _, err := cl.must(ctx, "PUT", "/api/baskets/"+basket+"/addItem", map[string]any{"productId": prod.id, "quantity": qty}, 200, "add an item"); err != nil {
			return "", "", err
		}
		total += prod.cents * int64(qty)
	}
	if p.remove != nil {
		qty := p.items[*p.remove]
		if _, err := cl.must(ctx, "PUT", "/api/baskets/"+basket+"/removeItem", map[string]any{"productId": p.remove.id, "quantity": qty}, 200, "remove an item"); err != nil {
			return "", "", err
		}
		total -= p.remove.cents * int64(qty)
	}
	amount := total
	if p.underpay {
		amount = total - 1
	}
	if r, err = cl.must(ctx, "POST", "/api/payments", map[string]any{"id": uuid.NewString(), "customerId": customer, "amount": money(amount)}, 201, "authorize a payment"); err != nil {
		return "", "", err
	}
	payment := r.s("id")
	if p.disabled {
		if _, err := cl.must(ctx, "PUT", "/api/customers/"+customer+"/disable", nil, 200, "disable the customer"); err != nil {
			return "", "", err
		}
	}
	if _, err := cl.must(ctx, "PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": payment}, 200, "check out"); err != nil {
		return "", "", err
	}
	order := basket
	cl.c.created.Add(1)
	status, err := followOrder(ctx, cl, cfg, p, order)
	return order, status, err
}

// followOrder waits for the order to move and acts as the customer would:
// cancel it once approved (if planned), pay the invoice once ready.
func followOrder(ctx context.Context, cl *client, cfg Config, p plan, order string) (string, error) {
	status := func(r reply) string { return r.s("status") }
	r, err := cl.waitFor(ctx, "/api/ordering/"+order, cfg.OrderTimeout, func(r reply) bool {
		s := status(r)
		return s == "approved" || s == "ready" || s == "rejected" || s == "canceled" || s == "completed"
	})
	if err != nil {
		cl.c.stuck.Add(1)
		return status(r), err
	}
	if status(r) == "rejected" {
		cl.c.orderRejected.Add(1)
		return "rejected", nil
	}
	if p.cancel && status(r) == "approved" {
		if res, err := cl.write(ctx, "DELETE", "/api/ordering/"+order, nil); err == nil && res.status == 200 {
			cl.c.canceled.Add(1)
			return "canceled", nil
		}
	}
	if r, err = cl.waitFor(ctx, "/api/payments/invoices/"+order, cfg.OrderTimeout, func(r reply) bool { return r.status == 200 }); err != nil {
		cl.c.stuck.Add(1)
		return "approved", fmt.Errorf("order %s: no invoice: %w", order, err)
	}
	if _, err := cl.must(ctx, "PUT", "/api/payments/invoices/"+order+"/pay", nil, 200, "pay the invoice"); err != nil {
		return "ready", err
	}
	if r, err = cl.waitFor(ctx, "/api/ordering/"+order, cfg.OrderTimeout, func(r reply) bool { return status(r) == "completed" }); err != nil {
		cl.c.stuck.Add(1)
		return status(r), err
	}
	cl.c.completed.Add(1)
	return "completed", nil
}
