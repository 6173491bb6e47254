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

type client struct {
	base string
	http *http.Client
	out  io.Writer
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

// Run creates two stores with products, changes a few things, and shows one
// rule refusing a command.
func Run(ctx context.Context, baseURL string, out io.Writer) error {
	c := &client{base: baseURL, http: &http.Client{Timeout: 10 * time.Second}, out: out}
	fmt.Fprintln(out, "Sample traffic through the HTTP API:")
	type product struct {
		name  string
		price float64
	}
	catalogue := []struct {
		name, location string
		products       []product
	}{
		{"Waldorf Books", "Level 1, north wing", []product{{"The Hobbit", 12.50}, {"Dune", 9.99}}},
		{"Nic & Naks", "Level 2, food court", []product{{"Wizard w/ crystal", 9.98}, {"Dragon figurine", 24.00}}},
	}
	for _, s := range catalogue {
		store, err := c.call(ctx, "POST", "/api/stores", map[string]any{"name": s.name, "location": s.location})
		if err != nil {
			return err
		}
		id, _ := store["id"].(string)
		if _, err := c.call(ctx, "PUT", "/api/stores/"+id+"/participating", nil); err != nil {
			return err
		}
		for i, p := range s.products {
			prod, err := c.call(ctx, "POST", "/api/stores/"+id+"/products",
				map[string]any{"name": p.name, "description": "sample", "sku": fmt.Sprintf("SKU-%d", i+1), "price": p.price})
			if err != nil {
				return err
			}
			if i == 0 {
				pid, _ := prod["id"].(string)
				if _, err := c.call(ctx, "PUT", "/api/stores/products/"+pid+"/increasePrice", map[string]any{"price": p.price + 1}); err != nil {
					return err
				}
			}
		}
	}
	// A rule at work: a store needs a name.
	_, _ = c.call(ctx, "POST", "/api/stores", map[string]any{"name": "", "location": "nowhere"})
	return nil
}
