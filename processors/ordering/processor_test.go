package ordering

import (
	"testing"

	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/topics"
)

// The order group runs under goka's tester (enginetest).

// meta is the metadata of a command about an order, correlated by it as
// the saga's are.
func meta(cmdID, orderID string) schemas.CommandMeta {
	m := enginetest.Meta(cmdID, orderID)
	m.CorrelationID = orderID
	return m
}

func order(r *enginetest.Rig, id string) *ordering.OrderSnapshot {
	return enginetest.Snapshot[ordering.Order](r, topics.Orders, id)
}

func TestAnOrderTravelsFromPendingToCompleted(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&ordering.CreateOrder{CommandMeta: meta("c1", "o1"), CustomerID: "cust-1", PaymentID: "pay-1", Items: lines, TotalCents: total})
	r.Send(&ordering.ApproveOrder{CommandMeta: meta("c2", "o1"), ShoppingListID: "list-1"})
	r.Send(&ordering.ReadyOrder{CommandMeta: meta("c3", "o1")})
	r.Send(&ordering.CompleteOrder{CommandMeta: meta("c4", "o1"), InvoiceID: "o1"})
	for v := int64(1); v <= 4; v++ {
		if res := r.NextResult(); !res.Accepted || res.Version != v || res.AggregateType != "order" {
			t.Fatalf("unexpected result %+v", res)
		}
	}
	if ev := r.NextEvent(topics.Orders).(*ordering.OrderCreated); ev.TotalCents != total || len(ev.Items) != 2 || ev.AggregateID != "o1" {
		t.Fatalf("unexpected %+v", ev)
	}
	r.NextEvent(topics.Orders)
	if ev := r.NextEvent(topics.Orders).(*ordering.OrderReadied); ev.PaymentID != "pay-1" || ev.TotalCents != total {
		t.Fatalf("unexpected %+v", ev)
	}
	if ev := r.NextEvent(topics.Orders).(*ordering.OrderCompleted); ev.InvoiceID != "o1" || ev.AggregateVersion != 4 {
		t.Fatalf("unexpected %+v", ev)
	}
	snap := order(r, "o1")
	if st := snap.State; st.Status != "completed" || st.ShoppingListID != "list-1" || st.InvoiceID != "o1" || st.TotalCents != total || snap.Version != 4 {
		t.Fatalf("unexpected order %+v", snap)
	}
}

// The saga's commands carry a reply-to: the result also reaches the saga,
// keyed by the order, rejections with their text (the rejection reason).
func TestTheSagaGetsItsRepliesFromTheOrder(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&ordering.CreateOrder{CommandMeta: meta("c1", "o1"), CustomerID: "cust-1", PaymentID: "pay-1", Items: lines, TotalCents: total})
	r.Send(&ordering.RejectOrder{CommandMeta: meta("c2", "o1"), Reason: "customer is not authorized"}, enginetest.FromSaga("o1"))
	r.Send(&ordering.ApproveOrder{CommandMeta: meta("c3", "o1"), ShoppingListID: "list-1"}, enginetest.FromSaga("o1"))

	if key, res := r.NextReply(); key != "o1" || !res.Accepted || res.CommandID != "c2" {
		t.Fatalf("unexpected reply %q %+v", key, res)
	}
	if key, res := r.NextReply(); key != "o1" || res.Accepted || res.Message != "the order cannot be approved" {
		t.Fatalf("unexpected reply %q %+v", key, res)
	}
	if st := order(r, "o1").State; st.Status != "rejected" || st.RejectionReason != "customer is not authorized" {
		t.Fatalf("unexpected order %+v", st)
	}
}

func TestCancelingAnOrderNamesWhatTheCancelPolicyMustCancel(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&ordering.CreateOrder{CommandMeta: meta("c1", "o1"), CustomerID: "cust-1", PaymentID: "pay-1", Items: lines, TotalCents: total})
	r.Send(&ordering.ApproveOrder{CommandMeta: meta("c2", "o1"), ShoppingListID: "list-1"})
	r.Send(&ordering.CancelOrder{CommandMeta: meta("c3", "o1")})
	r.NextEvent(topics.Orders)
	r.NextEvent(topics.Orders)
	if ev := r.NextEvent(topics.Orders).(*ordering.OrderCanceled); ev.ShoppingListID != "list-1" || ev.AggregateVersion != 3 {
		t.Fatalf("unexpected %+v", ev)
	}
	r.Send(&ordering.CancelOrder{CommandMeta: meta("c4", "o1")})
	for range 3 {
		r.NextResult()
	}
	if res := r.NextResult(); res.Accepted || res.Message != "the order cannot be cancelled" || res.Kind != "invalid" {
		t.Fatalf("unexpected %+v", res)
	}
	r.Send(&ordering.CancelOrder{CommandMeta: meta("c5", "nope")})
	if res := r.NextResult(); res.Accepted || res.Message != "the order does not exist" || res.Kind != "not_found" {
		t.Fatalf("unexpected %+v", res)
	}
}
