package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mallbots/mallbots/views/search"
)

// OrderSearch answers order searches; views/search.Querier is the one over
// ClickHouse.
type OrderSearch interface {
	Search(ctx context.Context, r search.Request) (search.Page, error)
	Order(ctx context.Context, id string) (search.Order, error)
}

// searchRequestJSON is the body of POST /api/search/orders: every filter
// optional, AND-ed. cursor is the next of the previous page.
type searchRequestJSON struct {
	CustomerID    string   `json:"customerId"`
	CreatedAfter  string   `json:"createdAfter" oa:"format=date-time"`
	CreatedBefore string   `json:"createdBefore" oa:"format=date-time"`
	StoreIDs      []string `json:"storeIds"`
	ProductIDs    []string `json:"productIds"`
	MinTotal      *Money   `json:"minTotal"`
	MaxTotal      *Money   `json:"maxTotal"`
	Status        string   `json:"status" oa:"enum=pending|approved|ready|completed|rejected|canceled"`
	Limit         *int     `json:"limit" oa:"min=1,max=100"`
	Cursor        string   `json:"cursor"`
}

type searchPageJSON struct {
	Orders []searchOrderJSON `json:"orders"`
	// Next is null on the last page.
	Next *string `json:"next"`
}

type searchOrderJSON struct {
	ID           string           `json:"id"`
	CustomerID   string           `json:"customerId"`
	CustomerName string           `json:"customerName"`
	Items        []searchItemJSON `json:"items"`
	Total        Money            `json:"total"`
	Status       string           `json:"status" oa:"enum=pending|approved|ready|completed|rejected|canceled"`
	// CreatedAt is null when the creation time is unknown.
	CreatedAt *string `json:"createdAt" oa:"format=date-time"`
	UpdatedAt string  `json:"updatedAt" oa:"format=date-time"`
	Version   int64   `json:"version"`
}

type searchItemJSON struct {
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	StoreID     string `json:"storeId"`
	StoreName   string `json:"storeName"`
	Price       Money  `json:"price"`
	Quantity    int32  `json:"quantity"`
}

// timeFormat is RFC 3339 with milliseconds, the precision orders keep.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func (s *server) searchRoutes(mux *routes) {
	mux.HandleFunc("POST /api/search/orders", s.searchOrders)
	mux.HandleFunc("GET /api/search/orders/{id}", s.searchedOrder)
}

func (s *server) searchOrders(w http.ResponseWriter, r *http.Request) {
	var body searchRequestJSON
	if !readJSON(w, r, &body) || !s.searchAvailable(w) {
		return
	}
	req, bad := body.request()
	if bad = append(bad, req.Validate()...); len(bad) > 0 {
		writeError(w, http.StatusBadRequest, "invalid_filter", bad.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.Timeout)
	defer cancel()
	page, err := s.Search.Search(ctx, req)
	if err != nil {
		s.searchFailed(w, err)
		return
	}
	out := searchPageJSON{Orders: make([]searchOrderJSON, len(page.Orders))}
	for i, o := range page.Orders {
		out.Orders[i] = searchOrderOut(o)
	}
	if page.Next != "" {
		out.Next = &page.Next
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) searchedOrder(w http.ResponseWriter, r *http.Request) {
	if !s.searchAvailable(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.Timeout)
	defer cancel()
	o, err := s.Search.Order(ctx, r.PathValue("id"))
	if err != nil {
		s.searchFailed(w, err)
		return
	}
	writeJSON(w, http.StatusOK, searchOrderOut(o))
}

// request turns the body into a search request; what cannot be parsed is
// a problem naming its field, reported with the search's own problems.
func (b searchRequestJSON) request() (search.Request, search.BadRequest) {
	var bad search.BadRequest
	req := search.Request{Filter: search.Filter{
		CustomerID: b.CustomerID, StoreIDs: b.StoreIDs, ProductIDs: b.ProductIDs, Status: b.Status,
		CreatedAfter: parseTime(&bad, "createdAfter", b.CreatedAfter), CreatedBefore: parseTime(&bad, "createdBefore", b.CreatedBefore),
	}, Cursor: b.Cursor}
	if b.MinTotal != nil {
		req.MinTotal = (*int64)(b.MinTotal)
	}
	if b.MaxTotal != nil {
		req.MaxTotal = (*int64)(b.MaxTotal)
	}
	if b.Limit != nil {
		req.Limit = *b.Limit
		if *b.Limit == 0 { // the search reads 0 as "the default"; a client that sends 0 means 0
			bad = append(bad, search.Problem{Field: "limit", Message: fmt.Sprintf("must be between 1 and %d, got 0", search.MaxLimit)})
		}
	}
	return req, bad
}

func parseTime(bad *search.BadRequest, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		*bad = append(*bad, search.Problem{Field: field, Message: "must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got " + strconv.Quote(s)})
	}
	return t
}

func (s *server) searchAvailable(w http.ResponseWriter) bool {
	if s.Search == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "order search is not configured on this instance: run it with ClickHouse")
		return false
	}
	return true
}

func (s *server) searchFailed(w http.ResponseWriter, err error) {
	var bad search.BadRequest
	switch {
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, "invalid_filter", bad.Error())
	case errors.Is(err, search.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error()+": unknown, or not projected yet (retry shortly after creating an order)")
	default:
		s.Log.Error("order search failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "order search could not read ClickHouse; retry: "+err.Error())
	}
}

func searchOrderOut(o search.Order) searchOrderJSON {
	out := searchOrderJSON{ID: o.ID, CustomerID: o.CustomerID, CustomerName: o.CustomerName, Total: Money(o.TotalCents),
		Status: o.Status, UpdatedAt: o.UpdatedAt.UTC().Format(timeFormat), Version: o.Version,
		Items: make([]searchItemJSON, len(o.Items))}
	if !o.CreatedAt.IsZero() {
		created := o.CreatedAt.UTC().Format(timeFormat)
		out.CreatedAt = &created
	}
	for i, it := range o.Items {
		out.Items[i] = searchItemJSON{ProductID: it.ProductID, ProductName: it.ProductName, StoreID: it.StoreID,
			StoreName: it.StoreName, Price: Money(it.PriceCents), Quantity: it.Quantity}
	}
	return out
}
