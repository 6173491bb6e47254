package aggregate

import (
	"testing"

	"github.com/mallbots/mallbots/schemas"
)

// The worded-alike rejections give the codes and texts of docs/domain.md.
func TestWordedAlikeRejections(t *testing.T) {
	for _, tc := range []struct {
		got           *Rejection
		kind          Kind
		code, message string
	}{
		{AlreadyExists("shopping list"), Invalid, "shopping_list_exists", "the shopping list already exists"},
		{DoesNotExist("shopping list"), NotFound, "shopping_list_not_found", "the shopping list does not exist"},
		{CannotBeBlank("customer id"), Invalid, "customer_id_blank", "the customer id cannot be blank"},
		{CannotBe("order", "approved"), Invalid, "order_cannot_be_approved", "the order cannot be approved"},
		{MustBePositive("invoice amount"), Invalid, "invoice_amount_not_positive", "the invoice amount must be positive"},
		{CannotExceed("basket total", "10,000,000.00"), Invalid, "basket_total_too_large", "the basket total cannot exceed 10,000,000.00"},
		{ErrCustomerIDBlank, Invalid, "customer_id_blank", "the customer id cannot be blank"},
		{ErrPaymentIDBlank, Invalid, "payment_id_blank", "the payment id cannot be blank"},
		{ErrCustomerNotFound, NotFound, "customer_not_found", "the customer does not exist"},
	} {
		if tc.got.Kind != tc.kind || tc.got.Code != tc.code || tc.got.Message != tc.message {
			t.Errorf("got %s %q %q, want %s %q %q", tc.got.Kind, tc.got.Code, tc.got.Message, tc.kind, tc.code, tc.message)
		}
	}
}

// Refuse answers the first failing check, in order; Emit appends its event
// only when none fails.
func TestRefuseAndEmit(t *testing.T) {
	a, b := Reject(Invalid, "a", "a"), Reject(Invalid, "b", "b")
	if err := Refuse(When(false, a), When(true, b), When(true, a)); err != b {
		t.Errorf("Refuse = %v, want b", err)
	}
	if err := Refuse(When(false, a)); err != nil {
		t.Errorf("Refuse with no failing check = %v", err)
	}
	if evs, err := Emit("e", When(true, a)); err != a || evs != nil {
		t.Errorf("Emit refused = %v, %v", evs, err)
	}
	if evs, err := Emit("e", When(false, a)); err != nil || len(evs) != 1 || evs[0] != "e" {
		t.Errorf("Emit = %v, %v", evs, err)
	}
}

type seenCmd struct {
	schemas.CommandMeta
	Key string
}

type otherCmd struct{ schemas.CommandMeta }

// Sees asks for the one key its command names, and nothing for a blank key
// or another command.
func TestSees(t *testing.T) {
	needs := Sees[schemas.Command](
		"t", func(c *seenCmd) string { return c.Key })
	if got := needs(&seenCmd{Key: "k"}, nil); len(got) != 1 || got[0] != (Ref{Table: "t", Key: "k"}) {
		t.Errorf("Sees = %v, want [{t k}]", got)
	}
	if got := needs(&seenCmd{Key: " "}, nil); got != nil {
		t.Errorf("Sees of a blank key = %v", got)
	}
	if got := needs(&otherCmd{}, nil); got != nil {
		t.Errorf("Sees of another command = %v", got)
	}
}
