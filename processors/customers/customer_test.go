package customers

import (
	"testing"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas/customers"
)

type customerSpec = aggregatetest.Spec[customers.CustomerCommand, customers.CustomerEvent]

func registered() customers.CustomerEvent {
	return &customers.CustomerRegistered{Name: "John Smith", SMSNumber: "555-0100"}
}

func TestCustomerRules(t *testing.T) {
	aggregatetest.Run(t, CustomerRules, []customerSpec{
		{Name: "registering customer John Smith succeeds",
			When: &customers.RegisterCustomer{Name: "John Smith", SMSNumber: "555-0100"},
			Then: []customers.CustomerEvent{registered()}},
		{Name: "registering a customer with a blank name fails",
			When: &customers.RegisterCustomer{Name: "", SMSNumber: "555-0100"}, Err: ErrCustomerNameBlank},
		{Name: "a name of spaces is blank",
			When: &customers.RegisterCustomer{Name: "  ", SMSNumber: "555-0100"}, Err: ErrCustomerNameBlank},
		{Name: "registering a customer with a blank SMS number fails",
			When: &customers.RegisterCustomer{Name: "John Smith", SMSNumber: " "}, Err: ErrSmsNumberBlank},
		{Name: "registering a customer id twice fails",
			Given: []customers.CustomerEvent{registered()},
			When:  &customers.RegisterCustomer{Name: "John Smith", SMSNumber: "555-0100"}, Err: ErrCustomerExists},
		{Name: "changing the SMS number",
			Given: []customers.CustomerEvent{registered()},
			When:  &customers.ChangeSmsNumber{SMSNumber: "555-0199"},
			Then:  []customers.CustomerEvent{&customers.CustomerSmsChanged{SMSNumber: "555-0199"}}},
		{Name: "changing the SMS number to a blank one fails",
			Given: []customers.CustomerEvent{registered()},
			When:  &customers.ChangeSmsNumber{SMSNumber: ""}, Err: ErrSmsNumberBlank},
		{Name: "a disabled customer may still change the SMS number",
			Given: []customers.CustomerEvent{registered(), &customers.CustomerDisabled{}},
			When:  &customers.ChangeSmsNumber{SMSNumber: "555-0199"},
			Then:  []customers.CustomerEvent{&customers.CustomerSmsChanged{SMSNumber: "555-0199"}}},
		{Name: "a registered customer is enabled, so enabling fails",
			Given: []customers.CustomerEvent{registered()},
			When:  &customers.EnableCustomer{}, Err: ErrAlreadyEnabled},
		{Name: "disabling an enabled customer",
			Given: []customers.CustomerEvent{registered()},
			When:  &customers.DisableCustomer{},
			Then:  []customers.CustomerEvent{&customers.CustomerDisabled{}}},
		{Name: "disabling a disabled customer fails",
			Given: []customers.CustomerEvent{registered(), &customers.CustomerDisabled{}},
			When:  &customers.DisableCustomer{}, Err: ErrAlreadyDisabled},
		{Name: "enabling a disabled customer",
			Given: []customers.CustomerEvent{registered(), &customers.CustomerDisabled{}},
			When:  &customers.EnableCustomer{},
			Then:  []customers.CustomerEvent{&customers.CustomerEnabled{}}},
		{Name: "an enabled customer is authorized",
			Given: []customers.CustomerEvent{registered()},
			When:  &customers.AuthorizeCustomer{},
			Then:  []customers.CustomerEvent{&customers.CustomerAuthorized{}}},
		{Name: "a re-enabled customer is authorized",
			Given: []customers.CustomerEvent{registered(), &customers.CustomerDisabled{}, &customers.CustomerEnabled{}},
			When:  &customers.AuthorizeCustomer{},
			Then:  []customers.CustomerEvent{&customers.CustomerAuthorized{}}},
		{Name: "a disabled customer is not authorized",
			Given: []customers.CustomerEvent{registered(), &customers.CustomerDisabled{}},
			When:  &customers.AuthorizeCustomer{}, Err: ErrCustomerUnauthorized},
		{Name: "authorizing an unknown customer fails",
			When: &customers.AuthorizeCustomer{}, Err: ErrCustomerNotFound},
		{Name: "changing the SMS number of an unknown customer fails",
			When: &customers.ChangeSmsNumber{SMSNumber: "555-0199"}, Err: ErrCustomerNotFound},
		{Name: "enabling an unknown customer fails",
			When: &customers.EnableCustomer{}, Err: ErrCustomerNotFound},
		{Name: "disabling an unknown customer fails",
			When: &customers.DisableCustomer{}, Err: ErrCustomerNotFound},
	})
}

// The saga and the API tell refusals apart by kind: a disabled customer is
// unauthorized (401), an unknown one not found (404), the rest invalid (400).
func TestCustomerRejectionKinds(t *testing.T) {
	for _, tc := range []struct {
		rej  *aggregate.Rejection
		want aggregate.Kind
	}{
		{ErrCustomerUnauthorized, aggregate.Unauthorized},
		{ErrCustomerNotFound, aggregate.NotFound},
		{ErrCustomerNameBlank, aggregate.Invalid},
		{ErrSmsNumberBlank, aggregate.Invalid},
		{ErrCustomerExists, aggregate.Invalid},
		{ErrAlreadyEnabled, aggregate.Invalid},
		{ErrAlreadyDisabled, aggregate.Invalid},
	} {
		if tc.rej.Kind != tc.want {
			t.Errorf("%q is %s, want %s", tc.rej.Message, tc.rej.Kind, tc.want)
		}
	}
}

func TestCustomerStateFollowsItsEvents(t *testing.T) {
	var c customers.Customer
	var err error
	for _, ev := range []customers.CustomerEvent{registered(), &customers.CustomerDisabled{}, &customers.CustomerSmsChanged{SMSNumber: "555-0199"}, &customers.CustomerAuthorized{}} {
		if c, err = evolveCustomer(c, ev); err != nil {
			t.Fatal(err)
		}
	}
	if c.Name != "John Smith" || c.SMSNumber != "555-0199" || c.Enabled {
		t.Fatalf("unexpected state %+v", c)
	}
	if _, err := evolveCustomer(c, nil); err == nil {
		t.Fatal("evolve accepted an event it does not know")
	}
}
