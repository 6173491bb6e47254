package customers

import (
	"testing"

	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/topics"
)

// The customer group runs under goka's tester (enginetest).

var meta = enginetest.Meta

func TestRegisterCustomerEmitsEventStateAndResult(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&customers.RegisterCustomer{CommandMeta: meta("c1", "cu1"), Name: "John Smith", SMSNumber: "555-0100"})

	ev := r.NextEvent(topics.Customers).(*customers.CustomerRegistered)
	if ev.Name != "John Smith" || ev.SMSNumber != "555-0100" || ev.AggregateVersion != 1 || ev.AggregateID != "cu1" {
		t.Fatalf("unexpected event %+v", ev)
	}
	if res := r.NextResult(); !res.Accepted || res.Version != 1 || res.AggregateType != "customer" {
		t.Fatalf("unexpected result %+v", res)
	}
	snap := enginetest.Snapshot[customers.Customer](r, topics.Customers, "cu1")
	if snap.Version != 1 || snap.State != (customers.Customer{ID: "cu1", Name: "John Smith", SMSNumber: "555-0100", Enabled: true}) {
		t.Fatalf("unexpected snapshot %+v", snap)
	}
	r.NoReply() // a command from the API is not answered on the saga's replies
}

func TestAuthorizeCustomerRepliesToTheSagaKeyedByTheOrder(t *testing.T) {
	r := enginetest.New(t, Groups)
	r.Send(&customers.RegisterCustomer{CommandMeta: meta("c1", "cu1"), Name: "John Smith", SMSNumber: "555-0100"})
	r.NextResult()

	r.Send(&customers.AuthorizeCustomer{CommandMeta: meta("c2", "cu1")}, enginetest.FromSaga("order-1"))
	if key, reply := r.NextReply(); key != "order-1" || !reply.Accepted || reply.Version != 2 {
		t.Fatalf("unexpected reply %q %+v", key, reply)
	}

	r.Send(&customers.DisableCustomer{CommandMeta: meta("c3", "cu1")})
	r.Send(&customers.AuthorizeCustomer{CommandMeta: meta("c4", "cu1")}, enginetest.FromSaga("order-2"))
	key, reply := r.NextReply()
	if key != "order-2" || reply.Accepted || reply.Message != "customer is not authorized" || reply.Kind != "unauthorized" || reply.Version != 3 {
		t.Fatalf("unexpected reply %q %+v", key, reply)
	}

	r.Send(&customers.AuthorizeCustomer{CommandMeta: meta("c5", "nobody")}, enginetest.FromSaga("order-3"))
	if _, reply := r.NextReply(); reply.Message != "the customer does not exist" || reply.Kind != "not_found" {
		t.Fatalf("unexpected reply %+v", reply)
	}
}
