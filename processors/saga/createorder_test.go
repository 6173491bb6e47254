package saga

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/payments"
	sagas "github.com/mallbots/mallbots/schemas/saga"
)

var (
	t0      = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	timeout = 10 * time.Second
)

func orderCreated() *ordering.OrderCreated {
	return &ordering.OrderCreated{
		EventMeta:  schemas.EventMeta{AggregateID: "order-1"},
		CustomerID: "customer-1", PaymentID: "payment-1", TotalCents: 1998,
		Items: []ordering.OrderItem{{ProductID: "p1", StoreID: "s1", Quantity: 2, PriceCents: 999}},
	}
}

// run drives a saga from OrderCreated through replies: each reply answers
// the command in flight, accepted or rejected with a message.
type run struct {
	t    *testing.T
	s    *sagas.CreateOrderSaga
	sent []schemas.Command
	now  time.Time
}

func start(t *testing.T) *run {
	r := &run{t: t, now: t0}
	r.take(Start(nil, orderCreated(), r.now, timeout))
	return r
}

func (r *run) take(out Outcome) {
	r.t.Helper()
	if out.Next == nil {
		r.t.Fatalf("the input changed nothing: %s", out.Ignored)
	}
	r.s = out.Next
	r.sent = append(r.sent, out.Send...)
}

func (r *run) reply(accepted bool, message string) {
	r.t.Helper()
	r.now = r.now.Add(time.Second)
	r.take(OnReply(r.s, &schemas.CommandResult{CommandID: r.s.PendingCommandID, Accepted: accepted, Message: message, Kind: kind(accepted)}, r.now, timeout))
}

func kind(accepted bool) string {
	if accepted {
		return ""
	}
	return "invalid"
}

func (r *run) accept(n int) {
	for range n {
		r.reply(true, "")
	}
}

func (r *run) last() schemas.Command { return r.sent[len(r.sent)-1] }

func (r *run) sentTypes() []string {
	var out []string
	for _, c := range r.sent {
		out = append(out, reflect.TypeOf(c).Elem().Name())
	}
	return out
}

func TestTheHappyPathSendsTheFiveStepsInOrderAndApproves(t *testing.T) {
	r := start(t)
	r.accept(5)
	want := []string{"AuthorizeCustomer", "CreateShoppingList", "ConfirmPayment", "InitiateShopping", "ApproveOrder"}
	if got := r.sentTypes(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if r.s.Status != StatusApproved || r.s.PendingCommandID != "" || r.s.ShoppingListID != ShoppingListID("order-1") {
		t.Fatalf("unexpected final state %+v", r.s)
	}
	// Each command targets its participant, replies to the order, and has
	// the step's deterministic id.
	auth := r.sent[0].(*customers.AuthorizeCustomer)
	list := r.sent[1].(*depot.CreateShoppingList)
	pay := r.sent[2].(*payments.ConfirmPayment)
	approve := r.sent[4].(*ordering.ApproveOrder)
	if auth.AggregateID != "customer-1" || auth.CommandID != StepCommandID("order-1", StepAuthorizeCustomer) || auth.CorrelationID != "order-1" {
		t.Errorf("AuthorizeCustomer: %+v", auth.CommandMeta)
	}
	if list.AggregateID != ShoppingListID("order-1") || list.OrderID != "order-1" || len(list.Items) != 1 || list.Items[0].Quantity != 2 {
		t.Errorf("CreateShoppingList: %+v", list)
	}
	if pay.AggregateID != "payment-1" || pay.OrderID != "order-1" || pay.AmountCents != 1998 {
		t.Errorf("ConfirmPayment: %+v", pay)
	}
	if approve.AggregateID != "order-1" || approve.ShoppingListID != ShoppingListID("order-1") {
		t.Errorf("ApproveOrder: %+v", approve)
	}
	// The saga issues its steps as the service it is (docs/adr/0023).
	for _, c := range r.sent {
		if m := c.CommandMetadata(); m.IssuedBy != schemas.IssuerSaga || m.IssuerRole != schemas.ServiceRole {
			t.Errorf("%T is issued by %q (%q), want %s (%s)", c, m.IssuedBy, m.IssuerRole, schemas.IssuerSaga, schemas.ServiceRole)
		}
	}
}

// A failure at each step compensates backwards and rejects the order with
// the participant's text.
func TestAFailureAtEachStepCompensatesAndRejectsWithTheReason(t *testing.T) {
	for _, tc := range []struct {
		failAt  int // 1-based step that is refused
		message string
		then    []string // the commands after the refusal
	}{
		{1, "customer is not authorized", []string{"RejectOrder"}},
		{2, "the shopping list cannot be created", []string{"RejectOrder"}},
		{3, "payment cannot be confirmed", []string{"CancelShoppingList", "RejectOrder"}},
		{4, "the shopping list cannot be initiated", []string{"CancelShoppingList", "RejectOrder"}},
		{5, "the order cannot be approved", []string{"CancelShoppingList", "RejectOrder"}},
	} {
		t.Run(forward[tc.failAt-1], func(t *testing.T) {
			r := start(t)
			r.accept(tc.failAt - 1)
			r.reply(false, tc.message)
			for range len(tc.then) - 1 {
				r.accept(1) // compensations go on whatever they answer
			}
			if got := r.sentTypes()[tc.failAt:]; len(got) != len(tc.then) || !reflect.DeepEqual(got[:len(tc.then)-1], tc.then[:len(tc.then)-1]) || got[len(got)-1] != "RejectOrder" {
				t.Fatalf("after the refusal sent %v, want %v", got, tc.then)
			}
			if reject := r.last().(*ordering.RejectOrder); reject.Reason != tc.message || reject.AggregateID != "order-1" {
				t.Fatalf("RejectOrder %+v, want the reason %q", reject, tc.message)
			}
			if r.s.Status != StatusCompensating || r.s.Reason != tc.message {
				t.Fatalf("state %+v", r.s)
			}
			r.reply(true, "")
			if r.s.Status != StatusRejected || r.s.PendingCommandID != "" {
				t.Fatalf("final state %+v", r.s)
			}
		})
	}
}

func TestARefusedCompensationStillEndsTheSaga(t *testing.T) {
	r := start(t)
	r.accept(2)
	r.reply(false, "payment cannot be confirmed")
	r.reply(false, "the shopping list cannot be canceled")
	if _, ok := r.last().(*ordering.RejectOrder); !ok {
		t.Fatalf("the refused cancel did not move on to RejectOrder: %v", r.sentTypes())
	}
	r.reply(false, "the order cannot be rejected")
	if r.s.Status != StatusRejected || r.s.Reason != "payment cannot be confirmed" {
		t.Fatalf("final state %+v", r.s)
	}
}

func TestDuplicateAndLateRepliesChangeNothing(t *testing.T) {
	r := start(t)
	first := r.s.PendingCommandID
	r.accept(1)
	// The same reply again, and a reply to a command never sent.
	for _, id := range []string{first, "some-other-command"} {
		if out := OnReply(r.s, &schemas.CommandResult{CommandID: id, Accepted: false, Message: "late"}, r.now, timeout); out.Next != nil {
			t.Fatalf("reply to %s changed the saga: %+v", id, out.Next)
		}
	}
	r.accept(4)
	if out := OnReply(r.s, &schemas.CommandResult{CommandID: first, Accepted: true}, r.now, timeout); out.Next != nil {
		t.Fatal("a reply after the saga ended changed it")
	}
	if out := OnReply(nil, &schemas.CommandResult{CommandID: first}, r.now, timeout); out.Next != nil {
		t.Fatal("a reply without a saga created one")
	}
}

func TestARedeliveredOrderCreatedDoesNotRestartTheSaga(t *testing.T) {
	r := start(t)
	r.accept(2)
	if out := Start(r.s, orderCreated(), r.now, timeout); out.Next != nil || len(out.Send) != 0 {
		t.Fatalf("OrderCreated again restarted the saga: %+v", out)
	}
}

// expire delivers the clock's timeout for the step in flight just after
// its deadline.
func (r *run) expire() {
	r.t.Helper()
	r.now = r.s.Deadline.Add(time.Millisecond)
	r.take(OnTimeout(r.s, &sagas.StepTimedOut{OrderID: "order-1", CommandID: r.s.PendingCommandID, Step: r.s.Step}, r.now, timeout))
}

func TestAStepWithoutAReplyIsSentAgainUnderTheSameCommandID(t *testing.T) {
	r := start(t)
	r.accept(2) // confirm_payment in flight
	first, id := r.last(), r.s.PendingCommandID
	pending := &sagas.StepTimedOut{OrderID: "order-1", CommandID: id, Step: r.s.Step}
	if out := OnTimeout(r.s, pending, r.s.Deadline.Add(-time.Millisecond), timeout); out.Next != nil {
		t.Fatal("a timeout before the deadline changed the saga")
	}
	for attempt := int32(1); attempt < StepAttempts; attempt++ {
		r.expire()
		again := *r.last().(*payments.ConfirmPayment)
		again.IssuedAt = first.CommandMetadata().IssuedAt // sent again now
		switch {
		case !reflect.DeepEqual(&again, first):
			t.Fatalf("attempt %d sent %+v, want the first command again %+v", attempt, again, first)
		case r.s.PendingCommandID != id || r.s.Step != StepConfirmPayment || r.s.Status != StatusRunning:
			t.Fatalf("attempt %d: state %+v, want confirm_payment still in flight as %s", attempt, r.s, id)
		case r.s.Attempt != attempt || !r.s.Deadline.Equal(r.now.Add(timeout)):
			t.Fatalf("attempt %d: attempt %d deadline %s, want %d and %s", attempt, r.s.Attempt, r.s.Deadline, attempt, r.now.Add(timeout))
		}
		// The clock of another instance may still emit the timeout of the
		// earlier deadline: it arrives before the new one and changes nothing.
		if out := OnTimeout(r.s, pending, r.now.Add(time.Second), timeout); out.Next != nil {
			t.Fatalf("attempt %d: a late duplicate timeout changed the saga", attempt)
		}
	}
}

func TestALateReplyToAStepSentAgainMovesTheSagaOn(t *testing.T) {
	r := start(t)
	r.accept(2)
	r.expire()
	r.accept(1) // the participant was moving to another instance; now it answers
	if r.s.Step != StepInitiateShopping || r.s.Attempt != 0 {
		t.Fatalf("after the late reply: step %q attempt %d, want initiate_shopping and 0", r.s.Step, r.s.Attempt)
	}
	r.accept(2)
	if r.s.Status != StatusApproved {
		t.Fatalf("status %q, want approved", r.s.Status)
	}
}

func TestAStepWithoutAReplyFailsAfterItsLastAttempt(t *testing.T) {
	for _, tc := range []struct {
		step int
		then []string
	}{
		{1, []string{"RejectOrder"}},
		// The list may still be created by the late command: cancel it.
		{2, []string{"CancelShoppingList", "RejectOrder"}},
		{3, []string{"CancelShoppingList", "RejectOrder"}},
	} {
		t.Run(forward[tc.step-1], func(t *testing.T) {
			r := start(t)
			r.accept(tc.step - 1)
			for range StepAttempts {
				r.expire()
			}
			sent := len(r.sent)
			if r.sentTypes()[sent-1] != tc.then[0] {
				t.Fatalf("after the last timeout sent %v, want %v", r.sentTypes()[sent-1:], tc.then)
			}
			if r.s.Reason == "" || r.s.Status != StatusCompensating {
				t.Fatalf("state %+v", r.s)
			}
			// A timeout for the step that already failed changes nothing.
			failed := &sagas.StepTimedOut{OrderID: "order-1", CommandID: StepCommandID("order-1", forward[tc.step-1])}
			if out := OnTimeout(r.s, failed, r.now.Add(time.Minute), timeout); out.Next != nil {
				t.Fatal("a second timeout of the same step changed the saga")
			}
		})
	}
}

func TestTheTimeoutReasonNamesTheCommandAndTheAttempts(t *testing.T) {
	r := start(t)
	for range StepAttempts {
		r.expire()
	}
	if want := "no reply to AuthorizeCustomer within 10s, 3 times"; r.s.Reason != want {
		t.Fatalf("reason %q, want %q", r.s.Reason, want)
	}
}

func TestACompensationWithoutAReplyMovesOnAfterItsLastAttempt(t *testing.T) {
	r := start(t)
	r.accept(2)
	r.reply(false, "payment cannot be confirmed")
	for range StepAttempts {
		r.expire()
	}
	if _, ok := r.last().(*ordering.RejectOrder); !ok {
		t.Fatalf("sent %v", r.sentTypes())
	}
	if r.s.Reason != "payment cannot be confirmed" {
		t.Fatalf("reason %q, want the payment's", r.s.Reason)
	}
}

// The saga does not judge the amount: it asks the payment to confirm the
// order's whole total, whatever it is, and the payment aggregate decides
// whether its authorization covers it (docs/adr/0014). A refusal rejects
// the order with the payment's text.
func TestTheSagaAsksThePaymentToConfirmTheOrdersWholeTotal(t *testing.T) {
	for _, total := range []int64{1, 1998, 1_000_000_000, 1_000_000_001, 0, -4_611_686_020_574_871_551} {
		t.Run(fmt.Sprint(total), func(t *testing.T) {
			ev := orderCreated()
			ev.TotalCents = total
			r := &run{t: t, now: t0}
			r.take(Start(nil, ev, r.now, timeout))
			r.accept(2)
			pay, ok := r.last().(*payments.ConfirmPayment)
			if !ok {
				t.Fatalf("the third step sent %v, want ConfirmPayment", r.sentTypes())
			}
			if pay.AmountCents != total || pay.AggregateID != "payment-1" || pay.OrderID != "order-1" {
				t.Fatalf("ConfirmPayment %+v, want the order's total %d for payment-1", pay, total)
			}
			r.now = r.now.Add(time.Second)
			r.take(OnReply(r.s, &schemas.CommandResult{CommandID: r.s.PendingCommandID, Message: "payment cannot be confirmed",
				Code: "payment_amount_exceeded", Kind: "invalid"}, r.now, timeout))
			r.accept(1) // the shopping list is canceled
			if reject, ok := r.last().(*ordering.RejectOrder); !ok || reject.Reason != "payment cannot be confirmed" {
				t.Fatalf("after the payment's refusal sent %v, want RejectOrder with its reason", r.sentTypes())
			}
		})
	}
}
