// Package saga runs the create-order saga: an orchestrator, one instance per
// order, keyed by order id. createorder.go is the pure state machine (no
// I/O); processor.go is its goka group (inputs: the order events, where
// OrderCreated starts it, and mallbots.saga.replies, where participants'
// results and the clock's timeouts arrive); clock.go feeds it time.
//
// Steps, each a command with a reply: authorize the customer, create the
// shopping list, confirm the payment, initiate shopping, approve the order.
// A rejection or a timeout compensates backwards (cancel the shopping list
// if one may exist) and rejects the order with the reason. A reply that is
// not for the step in flight (duplicate, late) changes nothing.
package saga

import (
	"fmt"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/payments"
	sagas "github.com/mallbots/mallbots/schemas/saga"
)

// Steps of the create-order saga, and its two compensations.
const (
	StepAuthorizeCustomer  = "authorize_customer"
	StepCreateShoppingList = "create_shopping_list"
	StepConfirmPayment     = "confirm_payment"
	StepInitiateShopping   = "initiate_shopping"
	StepApproveOrder       = "approve_order"
	StepCancelShoppingList = "cancel_shopping_list"
	StepRejectOrder        = "reject_order"
)

// forward is the happy path, in order.
var forward = []string{StepAuthorizeCustomer, StepCreateShoppingList, StepConfirmPayment, StepInitiateShopping, StepApproveOrder}

// Statuses of a saga.
const (
	StatusRunning      = "running"
	StatusCompensating = "compensating"
	StatusApproved     = "approved"
	StatusRejected     = "rejected"
)

// DefaultStepTimeout is how long a step waits for its reply by default.
const DefaultStepTimeout = 10 * time.Second

// StepAttempts is how many times a step is sent before its silence fails
// the order. A participant that is moving to another instance (a handover
// after a crash) or restarting cannot answer for a few seconds; the step is
// sent again under the same command id, which the participant answers once
// (its window of recent commands replays the first result), so a late
// first reply and the second one are the same reply.
const StepAttempts = 3

// TimeoutReasonPrefix starts the reason of an order whose step got no
// reply after StepAttempts.
const TimeoutReasonPrefix = "no reply to "

// Outcome is what handling one input asks for: the state to store (nil:
// nothing changed) and the commands to send, each replying to the order.
type Outcome struct {
	Next *sagas.CreateOrderSaga
	Send []schemas.Command
	// Ignored says why an input changed nothing (for the logs).
	Ignored string
}

// ShoppingListID is the id of an order's shopping list: derived from the
// order, so a step sent again creates the same list.
func ShoppingListID(orderID string) string { return schemas.DerivedID(orderID + "/shopping-list") }

// StepCommandID is the id of the command a step sends for an order.
func StepCommandID(orderID, step string) string { return schemas.DerivedID(orderID + "/saga/" + step) }

// Start begins the saga of a new order. A saga that exists already ignores
// OrderCreated (a redelivery).
func Start(current *sagas.CreateOrderSaga, ev *ordering.OrderCreated, now time.Time, timeout time.Duration) Outcome {
	if current != nil {
		return Outcome{Ignored: "the saga of this order has started already"}
	}
	s := &sagas.CreateOrderSaga{
		OrderID: ev.AggregateID, CustomerID: ev.CustomerID, PaymentID: ev.PaymentID, TotalCents: ev.TotalCents,
		Status: StatusRunning, StartedAt: now.UTC(),
	}
	for _, it := range ev.Items {
		s.Items = append(s.Items, sagas.SagaItem{ProductID: it.ProductID, StoreID: it.StoreID, Quantity: it.Quantity})
	}
	return enter(s, StepAuthorizeCustomer, now, timeout)
}

// OnReply advances the saga with a participant's result.
func OnReply(current *sagas.CreateOrderSaga, r *schemas.CommandResult, now time.Time, timeout time.Duration) Outcome {
	if why := notInFlight(current, r.CommandID, "a reply for an order without a saga", "a duplicate or late reply"); why != "" {
		return Outcome{Ignored: why}
	}
	s := *current
	if s.Status == StatusCompensating {
		// A compensation's outcome does not change the way back.
		return compensate(&s, now, timeout)
	}
	if !r.Accepted {
		return fail(&s, r.Message, false, now, timeout)
	}
	if s.Step == StepCreateShoppingList {
		s.ShoppingListID = ShoppingListID(s.OrderID)
	}
	next := nextForward(s.Step)
	if next == "" {
		s.Status, s.Step, s.PendingCommandID, s.Deadline = StatusApproved, "", "", time.Time{}
		return done(&s, now)
	}
	return enter(&s, next, now, timeout)
}

// notInFlight says why a reply or a timeout naming commandID is not for
// the step in flight (noSaga when there is no saga, answered when the
// step is another or none), and "" when it is.
func notInFlight(current *sagas.CreateOrderSaga, commandID, noSaga, answered string) string {
	switch {
	case current == nil:
		return noSaga
	case current.PendingCommandID == "" || commandID != current.PendingCommandID:
		return answered
	}
	return ""
}

// OnTimeout fails the step in flight when its deadline passed without a
// reply; a timeout for a step already answered changes nothing.
func OnTimeout(current *sagas.CreateOrderSaga, t *sagas.StepTimedOut, now time.Time, timeout time.Duration) Outcome {
	if why := notInFlight(current, t.CommandID, "a timeout for an order without a saga", "a timeout for a step that was answered"); why != "" {
		return Outcome{Ignored: why}
	}
	if now.Before(current.Deadline) {
		return Outcome{Ignored: "a timeout before the step's deadline"}
	}
	s := *current
	if s.Attempt+1 < StepAttempts {
		return retry(&s, now, timeout)
	}
	if s.Status == StatusCompensating {
		return compensate(&s, now, timeout)
	}
	// A create that timed out may still happen later: cancel it to be safe.
	return fail(&s, fmt.Sprintf("%s%s within %s, %d times", TimeoutReasonPrefix, commandName(s.Step), timeout, StepAttempts), s.Step == StepCreateShoppingList, now, timeout)
}

// retry sends the step in flight again, under the same command id, and
// waits for its reply until a new deadline.
func retry(s *sagas.CreateOrderSaga, now time.Time, timeout time.Duration) Outcome {
	attempt := s.Attempt + 1
	out := enter(s, s.Step, now, timeout)
	out.Next.Attempt = attempt
	return out
}

// fail starts compensating: maybeCreated says whether a shopping list may
// exist although its step did not succeed.
func fail(s *sagas.CreateOrderSaga, reason string, maybeCreated bool, now time.Time, timeout time.Duration) Outcome {
	s.Status, s.Reason = StatusCompensating, reason
	if maybeCreated {
		s.ShoppingListID = ShoppingListID(s.OrderID)
	}
	if s.ShoppingListID != "" {
		return enter(s, StepCancelShoppingList, now, timeout)
	}
	return enter(s, StepRejectOrder, now, timeout)
}

// compensate moves one step back: after cancelling the list, reject the
// order; after rejecting it, the saga is over.
func compensate(s *sagas.CreateOrderSaga, now time.Time, timeout time.Duration) Outcome {
	if s.Step == StepCancelShoppingList {
		return enter(s, StepRejectOrder, now, timeout)
	}
	s.Status, s.Step, s.PendingCommandID, s.Deadline = StatusRejected, "", "", time.Time{}
	return done(s, now)
}

func done(s *sagas.CreateOrderSaga, now time.Time) Outcome {
	s.UpdatedAt = now.UTC()
	s.Version++
	return Outcome{Next: s}
}

func nextForward(step string) string {
	for i, st := range forward {
		if st == step && i+1 < len(forward) {
			return forward[i+1]
		}
	}
	return ""
}

// enter sends a step's command and waits for its reply until the deadline.
func enter(s *sagas.CreateOrderSaga, step string, now time.Time, timeout time.Duration) Outcome {
	s.Step, s.Attempt = step, 0
	s.PendingCommandID = StepCommandID(s.OrderID, step)
	s.Deadline = now.Add(timeout).UTC()
	cmd := command(s, step)
	m := cmd.CommandMetadata()
	m.CommandID, m.CorrelationID, m.CausationID, m.IssuedAt = s.PendingCommandID, s.OrderID, s.OrderID, now.UTC()
	m.Issue(schemas.IssuerSaga, schemas.ServiceRole) // docs/adr/0023
	out := done(s, now)
	out.Send = []schemas.Command{cmd}
	return out
}

func command(s *sagas.CreateOrderSaga, step string) schemas.Command {
	meta := func(id string) schemas.CommandMeta { return schemas.CommandMeta{AggregateID: id} }
	switch step {
	case StepAuthorizeCustomer:
		return &customers.AuthorizeCustomer{CommandMeta: meta(s.CustomerID)}
	case StepCreateShoppingList:
		c := &depot.CreateShoppingList{CommandMeta: meta(ShoppingListID(s.OrderID)), OrderID: s.OrderID}
		for _, it := range s.Items {
			c.Items = append(c.Items, depot.ListItem{ProductID: it.ProductID, StoreID: it.StoreID, Quantity: it.Quantity})
		}
		return c
	case StepConfirmPayment:
		return &payments.ConfirmPayment{CommandMeta: meta(s.PaymentID), OrderID: s.OrderID, AmountCents: s.TotalCents}
	case StepInitiateShopping:
		return &depot.InitiateShopping{CommandMeta: meta(s.ShoppingListID)}
	case StepApproveOrder:
		return &ordering.ApproveOrder{CommandMeta: meta(s.OrderID), ShoppingListID: s.ShoppingListID}
	case StepCancelShoppingList:
		return &depot.CancelShoppingList{CommandMeta: meta(s.ShoppingListID)}
	case StepRejectOrder:
		return &ordering.RejectOrder{CommandMeta: meta(s.OrderID), Reason: s.Reason}
	}
	panic("saga: unknown step " + step) // every step is a constant above
}

func commandName(step string) string {
	switch step {
	case StepAuthorizeCustomer:
		return "AuthorizeCustomer"
	case StepCreateShoppingList:
		return "CreateShoppingList"
	case StepConfirmPayment:
		return "ConfirmPayment"
	case StepInitiateShopping:
		return "InitiateShopping"
	case StepApproveOrder:
		return "ApproveOrder"
	case StepCancelShoppingList:
		return "CancelShoppingList"
	}
	return "RejectOrder"
}
