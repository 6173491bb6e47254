package notifications

import (
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	notes "github.com/mallbots/mallbots/schemas/notifications"
	"github.com/mallbots/mallbots/schemas/ordering"
)

var john = &customers.Customer{ID: "c1", Name: "John Smith", SMSNumber: "+15550100"}

func ev[E schemas.Event](e E) E {
	e.EventMetadata().AggregateID = "order-1234567890"
	return e
}

func TestEachOrderMilestoneNotifiesTheCustomerOnce(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	var state *notes.NotificationState
	for _, tc := range []struct {
		event schemas.Event
		kind  string
		says  string
	}{
		{ev(&ordering.OrderCreated{CustomerID: "c1"}), OrderReceived, "we received your order order-12"},
		{ev(&ordering.OrderApproved{}), "", ""},
		{ev(&ordering.OrderReadied{}), OrderReady, "ready for pickup"},
		{ev(&ordering.OrderCompleted{}), OrderCompleted, "is complete"},
		{ev(&ordering.OrderCompleted{}), "", ""}, // redelivered: at most once
	} {
		d := Decide(state, tc.event, john, now)
		if tc.kind == "" {
			if d.Send != nil {
				t.Fatalf("%T sent %+v", tc.event, d.Send)
			}
			continue
		}
		if d.Send == nil {
			t.Fatalf("%T sent nothing: %s", tc.event, d.Skipped)
		}
		n := d.Send
		if n.Kind != tc.kind || !strings.Contains(n.Text, tc.says) || n.SMSNumber != "+15550100" || n.CustomerID != "c1" || n.OrderID != "order-1234567890" {
			t.Fatalf("%T: %+v", tc.event, n)
		}
		if n.NotificationID != schemas.DerivedID("order-1234567890/notification/"+tc.kind) {
			t.Fatalf("the notification id is not derived from the order and kind")
		}
		state = d.Next
	}
}

func TestARejectionCarriesTheReason(t *testing.T) {
	state := Decide(nil, ev(&ordering.OrderCreated{CustomerID: "c1"}), john, time.Now()).Next
	d := Decide(state, ev(&ordering.OrderRejected{Reason: "customer is not authorized"}), john, time.Now())
	if d.Send == nil || d.Send.Kind != OrderRejected || !strings.Contains(d.Send.Text, "rejected: customer is not authorized") {
		t.Fatalf("%+v", d.Send)
	}
}

func TestTheCurrentSMSNumberIsUsed(t *testing.T) {
	state := Decide(nil, ev(&ordering.OrderCreated{CustomerID: "c1"}), john, time.Now()).Next
	changed := *john
	changed.SMSNumber = "+15550199"
	if d := Decide(state, ev(&ordering.OrderCanceled{}), &changed, time.Now()); d.Send == nil || d.Send.SMSNumber != "+15550199" {
		t.Fatalf("%+v", d.Send)
	}
}

func TestNothingIsSentToAnUnknownCustomer(t *testing.T) {
	if d := Decide(nil, ev(&ordering.OrderCreated{CustomerID: "c1"}), nil, time.Now()); d.Send != nil || d.Next != nil {
		t.Fatalf("%+v", d)
	}
}
