// Package saga is the published contract of the saga context: the Go
// types of its commands, events and records, and their Avro schemas (the
// embedded .avsc files, namespace mallbots.saga).
package saga

import (
	"embed"
	"time"

	"github.com/mallbots/mallbots/schemas"
)

//go:embed *.avsc
var files embed.FS

// StepTimedOut is a record of the saga contract.
type StepTimedOut struct {
	OrderID   string    `avro:"orderId"`
	CommandID string    `avro:"commandId"`
	Step      string    `avro:"step"`
	At        time.Time `avro:"at"`
}

// CreateOrderSaga is a record of the saga contract.
type CreateOrderSaga struct {
	OrderID          string     `avro:"orderId"`
	CustomerID       string     `avro:"customerId"`
	PaymentID        string     `avro:"paymentId"`
	Items            []SagaItem `avro:"items"`
	TotalCents       int64      `avro:"totalCents"`
	Step             string     `avro:"step"`
	Status           string     `avro:"status"`
	ShoppingListID   string     `avro:"shoppingListId"`
	Reason           string     `avro:"reason"`
	PendingCommandID string     `avro:"pendingCommandId"`
	Deadline         time.Time  `avro:"deadline"`
	// Attempt counts how often the step in flight was sent again after a
	// timeout (CreateOrderSaga v2; 0 in an upcast v1 record).
	Attempt   int32     `avro:"attempt"`
	StartedAt time.Time `avro:"startedAt"`
	UpdatedAt time.Time `avro:"updatedAt"`
	Version   int64     `avro:"version"`
}

// SagaItem is a record of the saga contract.
type SagaItem struct {
	ProductID string `avro:"productId"`
	StoreID   string `avro:"storeId"`
	Quantity  int32  `avro:"quantity"`
}

// Types returns the record types of the saga context.
func Types() ([]schemas.Type, error) {
	return schemas.LoadTypes(files, "mallbots.saga", schemas.Records(
		new(StepTimedOut), new(CreateOrderSaga),
	), nil)
}
