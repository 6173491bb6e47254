package policies

import (
	"reflect"
	"testing"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/payments"
)

func meta(aggregateID string) schemas.EventMeta {
	return schemas.EventMeta{EventID: "event-1", AggregateID: aggregateID, CorrelationID: "corr-1", OccurredAt: time.Unix(100, 0)}
}

func TestEachPolicyTurnsItsEventIntoItsCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		when schemas.Event
		then []schemas.Command
	}{
		{"BasketCheckedOut → CreateOrder with the basket's id",
			&baskets.BasketCheckedOut{EventMeta: meta("basket-1"), CustomerID: "c1", PaymentID: "pay-1", TotalCents: 999,
				Items: []baskets.BasketItem{{ProductID: "p1", StoreID: "s1", StoreName: "S", ProductName: "P", PriceCents: 999, Quantity: 1}}},
			[]schemas.Command{&ordering.CreateOrder{CustomerID: "c1", PaymentID: "pay-1", TotalCents: 999,
				Items: []ordering.OrderItem{{ProductID: "p1", StoreID: "s1", StoreName: "S", ProductName: "P", PriceCents: 999, Quantity: 1}}}}},
		{"ShoppingListCompleted → ReadyOrder",
			&depot.ShoppingListCompleted{EventMeta: meta("list-1"), OrderID: "order-1"},
			[]schemas.Command{&ordering.ReadyOrder{}}},
		{"OrderReadied → CreateInvoice with the order's id",
			&ordering.OrderReadied{EventMeta: meta("order-1"), PaymentID: "pay-1", TotalCents: 999},
			[]schemas.Command{&payments.CreateInvoice{OrderID: "order-1", PaymentID: "pay-1", AmountCents: 999}}},
		{"InvoicePaid → CompleteOrder",
			&payments.InvoicePaid{EventMeta: meta("order-1"), OrderID: "order-1", AmountCents: 999},
			[]schemas.Command{&ordering.CompleteOrder{InvoiceID: "order-1"}}},
		{"OrderCanceled → CancelShoppingList and CancelInvoice",
			&ordering.OrderCanceled{EventMeta: meta("order-1"), ShoppingListID: "list-1", InvoiceID: "order-1"},
			[]schemas.Command{&depot.CancelShoppingList{}, &payments.CancelInvoice{}}},
		{"OrderCanceled before a list or an invoice exists → nothing",
			&ordering.OrderCanceled{EventMeta: meta("order-1")}, nil},
		{"an event without a policy → nothing",
			&customers.CustomerRegistered{EventMeta: meta("c1")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := React(tc.when)
			if len(got) != len(tc.then) {
				t.Fatalf("got %d commands, want %d: %#v", len(got), len(tc.then), got)
			}
			for i, cmd := range got {
				m := *cmd.CommandMetadata()
				if m.CommandID == "" || m.CausationID != "event-1" || m.CorrelationID != "corr-1" || m.AggregateID == "" ||
					m.IssuedBy != schemas.IssuerPolicies || m.IssuerRole != schemas.ServiceRole {
					t.Errorf("command %d metadata %+v", i, m)
				}
				*cmd.CommandMetadata() = schemas.CommandMeta{}
				if !reflect.DeepEqual(cmd, tc.then[i]) {
					t.Errorf("command %d:\n got %#v\nwant %#v", i, cmd, tc.then[i])
				}
			}
		})
	}
}

func TestARedeliveredEventSendsTheSameCommandIDs(t *testing.T) {
	ev := &ordering.OrderCanceled{EventMeta: meta("order-1"), ShoppingListID: "list-1", InvoiceID: "order-1"}
	a, b := React(ev), React(ev)
	for i := range a {
		if a[i].CommandMetadata().CommandID != b[i].CommandMetadata().CommandID {
			t.Fatalf("command %d has a new id on redelivery", i)
		}
	}
	if a[0].CommandMetadata().CommandID == a[1].CommandMetadata().CommandID {
		t.Fatal("two commands of one event share an id")
	}
	if id := a[0].CommandMetadata().AggregateID; id != "list-1" {
		t.Fatalf("CancelShoppingList goes to %s", id)
	}
}
