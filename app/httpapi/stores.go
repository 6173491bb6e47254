package httpapi

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/stores"
	"github.com/mallbots/mallbots/schemas"
	contract "github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/views/state"
)

type storeJSON struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Location      string `json:"location"`
	Participating bool   `json:"participating"`
	Version       int64  `json:"version"`
}

type productJSON struct {
	ID          string `json:"id"`
	StoreID     string `json:"storeId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	SKU         string `json:"sku"`
	Price       Money  `json:"price"`
	Removed     bool   `json:"removed"`
	Version     int64  `json:"version"`
	// Category is "" for a product added without one (or before v2).
	Category string `json:"category"`
}

// createStoreBody is the body of POST /api/stores.
type createStoreBody struct {
	ID       string `json:"id" oa:"format=uuid"`
	Name     string `json:"name" oa:"required"`
	Location string `json:"location" oa:"required"`
}

// rebrandStoreBody is the body of PUT /api/stores/{id}/rebrand.
type rebrandStoreBody struct {
	Name string `json:"name" oa:"required"`
}

// addProductBody is the body of POST /api/stores/{storeId}/products.
type addProductBody struct {
	ID          string `json:"id" oa:"format=uuid"`
	Name        string `json:"name" oa:"required"`
	Description string `json:"description"`
	SKU         string `json:"sku"`
	Price       *Money `json:"price" oa:"required"`
	Category    string `json:"category"` // optional
}

// rebrandProductBody is the body of PUT /api/stores/products/{id}/rebrand.
type rebrandProductBody struct {
	Name        string `json:"name" oa:"required"`
	Description string `json:"description"`
}

// priceBody is the body of a price change: the new price.
type priceBody struct {
	Price *Money `json:"price" oa:"required"`
}

func storeOut(s *schemas.Snapshot[contract.Store]) storeJSON {
	return storeJSON{ID: s.AggregateID, Name: s.State.Name, Location: s.State.Location, Participating: s.State.Participating, Version: s.Version}
}

func productOut(p *schemas.Snapshot[contract.Product]) productJSON {
	st := p.State
	return productJSON{ID: p.AggregateID, StoreID: st.StoreID, Name: st.Name, Description: st.Description, SKU: st.SKU, Price: Money(st.PriceCents), Removed: st.Removed, Version: p.Version, Category: st.Category}
}

func (s *server) storeRoutes(mux *routes) {
	mux.HandleFunc("POST /api/stores", s.createStore)
	mux.HandleFunc("GET /api/stores", s.listStores(false))
	mux.HandleFunc("GET /api/stores/participating", s.listStores(true))
	mux.HandleFunc("GET /api/stores/{id}", s.getStore)
	mux.HandleFunc("PUT /api/stores/{id}/participating", s.storeCommand(func(string) contract.StoreCommand { return &contract.EnableParticipation{} }))
	mux.HandleFunc("PUT /api/stores/{id}/rebrand", s.rebrandStore)
	mux.HandleFunc("POST /api/stores/{storeId}/products", s.addProduct)
	// "/api/stores/products/{id}" and "/api/stores/{storeId}/products" both
	// match "/api/stores/products/products", which net/http refuses to
	// register, so these two-segment routes dispatch by hand to routes
	// guarded under the patterns the docs write.
	getProduct := mux.guard("GET /api/stores/products/{id}", func(w http.ResponseWriter, r *http.Request) {
		s.getProduct(w, r, r.PathValue("id"))
	})
	listProducts := mux.guard("GET /api/stores/{storeId}/products", func(w http.ResponseWriter, r *http.Request) {
		s.listProducts(w, r, r.PathValue("storeId"))
	})
	removeProduct := mux.guard("DELETE /api/stores/products/{id}", bodiless[contract.RemoveProduct](s, awaitOn(s.Views.Products)))
	disableParticipation := mux.guard("DELETE /api/stores/{id}/participating", s.storeCommand(func(string) contract.StoreCommand { return &contract.DisableParticipation{} }))
	mux.dispatch("GET /api/stores/{a}/{b}", productOrStore("GET", getProduct, "products", "storeId", listProducts))
	mux.dispatch("DELETE /api/stores/{a}/{b}", productOrStore("DELETE", removeProduct, "participating", "id", disableParticipation))
	mux.HandleFunc("PUT /api/stores/products/{id}/rebrand", s.productCommand(func(w http.ResponseWriter, r *http.Request) (contract.ProductCommand, bool) {
		var in rebrandProductBody
		ok := readJSON(w, r, &in)
		return &contract.RebrandProduct{Name: in.Name, Description: in.Description}, ok
	}))
	mux.HandleFunc("PUT /api/stores/products/{id}/increasePrice", s.productCommand(func(w http.ResponseWriter, r *http.Request) (contract.ProductCommand, bool) {
		price, ok := readPrice(w, r)
		return &contract.IncreaseProductPrice{PriceCents: price}, ok
	}))
	mux.HandleFunc("PUT /api/stores/products/{id}/decreasePrice", s.productCommand(func(w http.ResponseWriter, r *http.Request) (contract.ProductCommand, bool) {
		price, ok := readPrice(w, r)
		return &contract.DecreaseProductPrice{PriceCents: price}, ok
	}))
}

// readPrice reads {"price": 9.99}; the price is required.
func readPrice(w http.ResponseWriter, r *http.Request) (int64, bool) {
	var in priceBody
	if !readJSON(w, r, &in) {
		return 0, false
	}
	if in.Price == nil {
		writeError(w, http.StatusBadRequest, "bad_request", "price is required, e.g. {\"price\": 9.99}")
		return 0, false
	}
	return int64(*in.Price), true
}

func (s *server) createStore(w http.ResponseWriter, r *http.Request) {
	var in createStoreBody
	if !readJSON(w, r, &in) {
		return
	}
	id, ok := createID(w, r, in.ID)
	if !ok {
		return
	}
	cmd := &contract.CreateStore{Name: in.Name, Location: in.Location}
	cmd.AggregateID = id
	s.send(w, r, cmd, true, awaitOn(s.Views.Stores))
}

func (s *server) rebrandStore(w http.ResponseWriter, r *http.Request) {
	var in rebrandStoreBody
	if !readJSON(w, r, &in) {
		return
	}
	s.storeCommand(func(string) contract.StoreCommand { return &contract.RebrandStore{Name: in.Name} })(w, r)
}

// productOrStore hands METHOD /api/stores/{a}/{b} to product when it is
// /api/stores/products/{id}, and to store, with the store's id as the path
// value param, when it is /api/stores/{param}/segment; anything else is
// answered 404. method names the route in that answer (a GET pattern also
// serves HEAD).
func productOrStore(method string, product http.HandlerFunc, segment, param string, store http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.PathValue("a") == "products":
			r.SetPathValue("id", r.PathValue("b"))
			product(w, r)
		case r.PathValue("b") == segment:
			r.SetPathValue(param, r.PathValue("a"))
			store(w, r)
		default:
			writeError(w, http.StatusNotFound, "route_not_found", "no route "+method+" "+r.URL.Path)
		}
	}
}

func (s *server) storeCommand(build func(id string) contract.StoreCommand) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cmd := build(r.PathValue("id"))
		cmd.CommandMetadata().AggregateID = r.PathValue("id")
		s.send(w, r, cmd, false, awaitOn(s.Views.Stores))
	}
}

func (s *server) addProduct(w http.ResponseWriter, r *http.Request) {
	var in addProductBody
	if !readJSON(w, r, &in) {
		return
	}
	if in.Price == nil {
		writeError(w, http.StatusBadRequest, "bad_request", "price is required, e.g. {\"price\": 9.99}")
		return
	}
	id, ok := createID(w, r, in.ID)
	if !ok {
		return
	}
	cmd := &contract.AddProduct{StoreID: r.PathValue("storeId"), Name: in.Name, Description: in.Description, SKU: in.SKU, PriceCents: int64(*in.Price), Category: in.Category}
	cmd.AggregateID = id
	s.send(w, r, cmd, true, awaitOn(s.Views.Products))
}

// productCommand builds a write route for an existing product (existing).
func (s *server) productCommand(build func(w http.ResponseWriter, r *http.Request) (contract.ProductCommand, bool)) http.HandlerFunc {
	return existing(s, awaitOn(s.Views.Products), build)
}

func (s *server) getStore(w http.ResponseWriter, r *http.Request) {
	getOne(s, w, r, s.Views.Stores, r.PathValue("id"), stores.ErrStoreNotFound, storeOut)
}

func (s *server) listStores(participatingOnly bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		list(s, w, r, s.Views.Stores, func(st contract.Store) bool { return !participatingOnly || st.Participating }, storeOut,
			func(a, b storeJSON) bool { return a.Name < b.Name || a.Name == b.Name && a.ID < b.ID })
	}
}

func (s *server) getProduct(w http.ResponseWriter, r *http.Request, id string) {
	getOne(s, w, r, s.Views.Products, id, stores.ErrProductNotFound, productOut)
}

func (s *server) listProducts(w http.ResponseWriter, r *http.Request, storeID string) {
	store, err := s.Views.Stores.Get(r.Context(), storeID)
	if err != nil {
		s.internal(w, err)
		return
	}
	if store == nil {
		writeError(w, http.StatusNotFound, stores.ErrStoreNotFound.Code, stores.ErrStoreNotFound.Message)
		return
	}
	list(s, w, r, s.Views.Products, func(p contract.Product) bool { return p.StoreID == storeID && !p.Removed }, productOut,
		func(a, b productJSON) bool { return a.Name < b.Name || a.Name == b.Name && a.ID < b.ID })
}

func (s *server) internal(w http.ResponseWriter, err error) {
	s.Log.Error("request failed", "err", err)
	writeError(w, http.StatusInternalServerError, "internal", err.Error())
}

// readAt reads an aggregate; with minVersion > 0 it waits (up to timeout)
// for that version and returns what it has when the wait ends.
func readAt[S any](ctx context.Context, timeout time.Duration, v *state.View[S], id string, minVersion int64) (*schemas.Snapshot[S], error) {
	if minVersion <= 0 {
		return v.Get(ctx, id)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	snap, err := v.AwaitVersion(ctx, id, minVersion)
	if err != nil && ctx.Err() != nil {
		return snap, nil
	}
	return snap, err
}

// getOne answers one aggregate by id (404 with the domain's text when it
// does not exist).
func getOne[S, J any](s *server, w http.ResponseWriter, r *http.Request, v *state.View[S], id string, notFound *aggregate.Rejection, out func(*schemas.Snapshot[S]) J) {
	minV, ok := minVersion(w, r)
	if !ok {
		return
	}
	snap, err := readAt(r.Context(), s.Timeout, v, id, minV)
	if err != nil {
		s.internal(w, err)
		return
	}
	if snap == nil {
		writeError(w, http.StatusNotFound, notFound.Code, notFound.Message)
		return
	}
	writeJSON(w, http.StatusOK, out(snap))
}

// list answers the aggregates of a view that keep passes, sorted by less.
func list[S, J any](s *server, w http.ResponseWriter, r *http.Request, v *state.View[S], keep func(S) bool, out func(*schemas.Snapshot[S]) J, less func(a, b J) bool) {
	items := []J{}
	err := v.Each(r.Context(), func(snap *schemas.Snapshot[S]) bool {
		if keep(snap.State) {
			items = append(items, out(snap))
		}
		return true
	})
	if err != nil {
		s.internal(w, err)
		return
	}
	sort.Slice(items, func(i, j int) bool { return less(items[i], items[j]) })
	writeJSON(w, http.StatusOK, items)
}
