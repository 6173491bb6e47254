// Package ordering is the published contract of the ordering context: the Go
// types of its commands, events and records, and their Avro schemas (the
// embedded .avsc files, namespace mallbots.ordering).
package ordering

import (
	"embed"
	"time"

	"github.com/mallbots/mallbots/schemas"
)

//go:embed *.avsc
var files embed.FS

// OrderCommand is a command to the Order aggregate.
type OrderCommand interface {
	schemas.Command
	orderCommand()
}

// OrderEvent is an event of the Order aggregate.
type OrderEvent interface {
	schemas.Event
	orderEvent()
}

// OrderItem is a record of the ordering contract.
type OrderItem struct {
	ProductID   string `avro:"productId"`
	StoreID     string `avro:"storeId"`
	StoreName   string `avro:"storeName"`
	ProductName string `avro:"productName"`
	PriceCents  int64  `avro:"priceCents"`
	Quantity    int32  `avro:"quantity"`
}

// Order is a record of the ordering contract.
type Order struct {
	ID              string      `avro:"id"`
	CustomerID      string      `avro:"customerId"`
	PaymentID       string      `avro:"paymentId"`
	ShoppingListID  string      `avro:"shoppingListId"`
	InvoiceID       string      `avro:"invoiceId"`
	Items           []OrderItem `avro:"items"`
	TotalCents      int64       `avro:"totalCents"`
	Status          string      `avro:"status"`
	RejectionReason string      `avro:"rejectionReason"`
	// CreatedAt is when OrderCreated occurred (OrderSnapshot v2; zero when
	// an upcast v1 snapshot no longer knew it).
	CreatedAt time.Time `avro:"createdAt"`
}

// CreateOrder: create the order of a checked-out basket; aggregateId is the basket id.
type CreateOrder struct {
	schemas.CommandMeta
	CustomerID string      `avro:"customerId"`
	PaymentID  string      `avro:"paymentId"`
	Items      []OrderItem `avro:"items"`
	TotalCents int64       `avro:"totalCents"`
}

// ApproveOrder: create-order saga: the order is approved.
type ApproveOrder struct {
	schemas.CommandMeta
	ShoppingListID string `avro:"shoppingListId"`
}

// RejectOrder: create-order saga compensation: the order is rejected.
type RejectOrder struct {
	schemas.CommandMeta
	Reason string `avro:"reason"`
}

// CancelOrder: the customer cancels the order.
type CancelOrder struct{ schemas.CommandMeta }

// ReadyOrder: the order's shopping is done.
type ReadyOrder struct{ schemas.CommandMeta }

// CompleteOrder: the order's invoice was paid.
type CompleteOrder struct {
	schemas.CommandMeta
	InvoiceID string `avro:"invoiceId"`
}

// OrderCreated: an order was created.
type OrderCreated struct {
	schemas.EventMeta
	CustomerID string      `avro:"customerId"`
	PaymentID  string      `avro:"paymentId"`
	Items      []OrderItem `avro:"items"`
	TotalCents int64       `avro:"totalCents"`
}

// OrderApproved: an order was approved.
type OrderApproved struct {
	schemas.EventMeta
	ShoppingListID string `avro:"shoppingListId"`
}

// OrderRejected: an order was rejected.
type OrderRejected struct {
	schemas.EventMeta
	Reason string `avro:"reason"`
}

// OrderCanceled: an order was canceled; carries what the cancel policy must cancel.
type OrderCanceled struct {
	schemas.EventMeta
	ShoppingListID string `avro:"shoppingListId"`
	InvoiceID      string `avro:"invoiceId"`
}

// OrderReadied: an order is ready for pickup.
type OrderReadied struct {
	schemas.EventMeta
	PaymentID  string `avro:"paymentId"`
	TotalCents int64  `avro:"totalCents"`
}

// OrderCompleted: an order was completed.
type OrderCompleted struct {
	schemas.EventMeta
	InvoiceID string `avro:"invoiceId"`
}

// OrderSnapshot is the state-table record of a Order.
type OrderSnapshot = schemas.Snapshot[Order]

func (*CreateOrder) orderCommand()   {}
func (*ApproveOrder) orderCommand()  {}
func (*RejectOrder) orderCommand()   {}
func (*CancelOrder) orderCommand()   {}
func (*ReadyOrder) orderCommand()    {}
func (*CompleteOrder) orderCommand() {}
func (*OrderCreated) orderEvent()    {}
func (*OrderApproved) orderEvent()   {}
func (*OrderRejected) orderEvent()   {}
func (*OrderCanceled) orderEvent()   {}
func (*OrderReadied) orderEvent()    {}
func (*OrderCompleted) orderEvent()  {}

// Types returns the record types of the ordering context.
func Types() ([]schemas.Type, error) {
	return schemas.LoadTypes(files, "mallbots.ordering", schemas.Records(
		new(CreateOrder), new(ApproveOrder), new(RejectOrder), new(CancelOrder), new(ReadyOrder),
		new(CompleteOrder), new(OrderCreated), new(OrderApproved), new(OrderRejected),
		new(OrderCanceled), new(OrderReadied), new(OrderCompleted), new(OrderSnapshot),
	), map[string]func(int, map[string]any) (map[string]any, error){
		"OrderSnapshot": upcastOrderSnapshot,
	})
}
