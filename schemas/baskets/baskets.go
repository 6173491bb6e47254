// Package baskets is the published contract of the baskets context: the Go
// types of its commands, events and records, and their Avro schemas (the
// embedded .avsc files, namespace mallbots.baskets).
package baskets

import (
	"embed"

	"github.com/mallbots/mallbots/schemas"
)

//go:embed *.avsc
var files embed.FS

// BasketCommand is a command to the Basket aggregate.
type BasketCommand interface {
	schemas.Command
	basketCommand()
}

// BasketEvent is an event of the Basket aggregate.
type BasketEvent interface {
	schemas.Event
	basketEvent()
}

// BasketItem is a record of the baskets contract.
type BasketItem struct {
	ProductID   string `avro:"productId"`
	StoreID     string `avro:"storeId"`
	StoreName   string `avro:"storeName"`
	ProductName string `avro:"productName"`
	PriceCents  int64  `avro:"priceCents"`
	Quantity    int32  `avro:"quantity"`
}

// Basket is a record of the baskets contract.
type Basket struct {
	ID         string                `avro:"id"`
	CustomerID string                `avro:"customerId"`
	PaymentID  string                `avro:"paymentId"`
	Items      map[string]BasketItem `avro:"items"`
	Status     string                `avro:"status"`
}

// StartBasket: start a basket for a customer; aggregateId is the new basket id.
type StartBasket struct {
	schemas.CommandMeta
	CustomerID string `avro:"customerId"`
}

// AddItem: add a quantity of a product.
type AddItem struct {
	schemas.CommandMeta
	ProductID string `avro:"productId"`
	Quantity  int32  `avro:"quantity"`
}

// RemoveItem: remove a quantity of a product.
type RemoveItem struct {
	schemas.CommandMeta
	ProductID string `avro:"productId"`
	Quantity  int32  `avro:"quantity"`
}

// CancelBasket: cancel an open basket.
type CancelBasket struct{ schemas.CommandMeta }

// CheckoutBasket: check out with an authorized payment.
type CheckoutBasket struct {
	schemas.CommandMeta
	PaymentID string `avro:"paymentId"`
}

// BasketStarted: a basket was started.
type BasketStarted struct {
	schemas.EventMeta
	CustomerID string `avro:"customerId"`
}

// BasketItemAdded: a quantity of a product was added.
type BasketItemAdded struct {
	schemas.EventMeta
	Item BasketItem `avro:"item"`
}

// BasketItemRemoved: a quantity of a product was removed.
type BasketItemRemoved struct {
	schemas.EventMeta
	ProductID string `avro:"productId"`
	Quantity  int32  `avro:"quantity"`
}

// BasketCanceled: a basket was canceled.
type BasketCanceled struct{ schemas.EventMeta }

// BasketCheckedOut: a basket was checked out.
type BasketCheckedOut struct {
	schemas.EventMeta
	CustomerID string       `avro:"customerId"`
	PaymentID  string       `avro:"paymentId"`
	Items      []BasketItem `avro:"items"`
	TotalCents int64        `avro:"totalCents"`
}

// BasketSnapshot is the state-table record of a Basket.
type BasketSnapshot = schemas.Snapshot[Basket]

func (*StartBasket) basketCommand()     {}
func (*AddItem) basketCommand()         {}
func (*RemoveItem) basketCommand()      {}
func (*CancelBasket) basketCommand()    {}
func (*CheckoutBasket) basketCommand()  {}
func (*BasketStarted) basketEvent()     {}
func (*BasketItemAdded) basketEvent()   {}
func (*BasketItemRemoved) basketEvent() {}
func (*BasketCanceled) basketEvent()    {}
func (*BasketCheckedOut) basketEvent()  {}

// Types returns the record types of the baskets context.
func Types() ([]schemas.Type, error) {
	return schemas.LoadTypes(files, "mallbots.baskets", schemas.Records(
		new(StartBasket), new(AddItem), new(RemoveItem), new(CancelBasket), new(CheckoutBasket),
		new(BasketStarted), new(BasketItemAdded), new(BasketItemRemoved), new(BasketCanceled),
		new(BasketCheckedOut), new(BasketSnapshot),
	), nil)
}
