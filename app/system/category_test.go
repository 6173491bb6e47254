package system_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
)

// A product's category (AddProduct and ProductAdded v2) goes from the HTTP
// API through the event and the state table back to the API and into
// ClickHouse's products.category; a product added without one reads "".
func TestAProductsCategoryReachesTheAPIAndClickHouse(t *testing.T) {
	a := api(t)
	store := createStore(t, "Category Store")
	toy := a.Do("POST", "/api/stores/"+store+"/products", map[string]any{"name": "Robot kit", "price": 24.5, "category": "toys"}).
		Expect(t, http.StatusCreated).S("id")
	plain := a.Do("POST", "/api/stores/"+store+"/products", map[string]any{"name": "Paper bag", "price": 0.1}).
		Expect(t, http.StatusCreated).S("id")

	for id, want := range map[string]string{toy: "toys", plain: ""} {
		got := a.Do("GET", "/api/stores/products/"+id, nil).Expect(t, http.StatusOK)
		if category, ok := got.Body["category"].(string); !ok || category != want {
			t.Errorf("GET product %s: category %v, want %q: %s", id, got.Body["category"], want, got.Raw)
		}
	}

	conn := clickhouseConn(t)
	testkit.Eventually(t, 5*time.Second, func() (bool, string) {
		var toyCategory, plainCategory string
		err := conn.QueryRow(context.Background(),
			"SELECT anyIf(category, id = ?), anyIf(category, id = ?) FROM mallbots.products FINAL WHERE id IN (?, ?)",
			toy, plain, toy, plain).Scan(&toyCategory, &plainCategory)
		var n uint64
		if err == nil {
			err = conn.QueryRow(context.Background(), "SELECT count() FROM mallbots.products FINAL WHERE id IN (?, ?)", toy, plain).Scan(&n)
		}
		return err == nil && n == 2 && toyCategory == "toys" && plainCategory == "",
			fmt.Sprintf("%d rows, categories %q and %q, %v", n, toyCategory, plainCategory, err)
	})
}
