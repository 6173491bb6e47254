// Package customers runs the customers context: the Customer aggregate.
// customer.go holds the pure rules (decide/evolve, no I/O); processor.go
// builds its goka group on processors/engine.
//
// Consumes mallbots.customers.commands (from the API and, for
// AuthorizeCustomer, from the create-order saga with a reply-to); produces
// mallbots.customers.events, snapshots in mallbots.customers-table (looked
// up by baskets and payments), results, saga replies and dead letters.
package customers

import (
	"fmt"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas/customers"
)

// Customer rejections, with the exact texts of docs/domain.md.
var (
	ErrCustomerNameBlank    = aggregate.CannotBeBlank("customer name")
	ErrSmsNumberBlank       = aggregate.Reject(aggregate.Invalid, "sms_number_blank", "the SMS number cannot be blank")
	ErrCustomerExists       = aggregate.AlreadyExists("customer")
	ErrCustomerNotFound     = aggregate.ErrCustomerNotFound
	ErrAlreadyEnabled       = aggregate.Reject(aggregate.Invalid, "customer_already_enabled", "the customer is already enabled")
	ErrAlreadyDisabled      = aggregate.Reject(aggregate.Invalid, "customer_already_disabled", "the customer is already disabled")
	ErrCustomerUnauthorized = aggregate.Reject(aggregate.Unauthorized, "customer_not_authorized", "customer is not authorized")
)

// CustomerRules are the Customer aggregate's rules. A customer is enabled
// on registration; only an enabled customer is authorized to order.
var CustomerRules = aggregate.Rules[customers.Customer, customers.CustomerCommand, customers.CustomerEvent]{
	Type:   "customer",
	Decide: aggregate.Lifecycle(ErrCustomerExists, ErrCustomerNotFound, registerCustomer, changeCustomer),
	Evolve: evolveCustomer,
}

func registerCustomer(reg *customers.RegisterCustomer, _ aggregate.Facts) ([]customers.CustomerEvent, error) {
	return aggregate.Emit[customers.CustomerEvent](&customers.CustomerRegistered{Name: reg.Name, SMSNumber: reg.SMSNumber},
		aggregate.When(aggregate.Blank(reg.Name), ErrCustomerNameBlank),
		aggregate.When(aggregate.Blank(reg.SMSNumber), ErrSmsNumberBlank))
}

func changeCustomer(c *customers.Customer, cmd customers.CustomerCommand, _ aggregate.Facts) ([]customers.CustomerEvent, error) {
	switch cmd := cmd.(type) {
	case *customers.ChangeSmsNumber:
		return aggregate.Emit[customers.CustomerEvent](&customers.CustomerSmsChanged{SMSNumber: cmd.SMSNumber}, aggregate.When(aggregate.Blank(cmd.SMSNumber), ErrSmsNumberBlank))
	case *customers.EnableCustomer:
		return aggregate.Emit[customers.CustomerEvent](&customers.CustomerEnabled{}, aggregate.When(c.Enabled, ErrAlreadyEnabled))
	case *customers.DisableCustomer:
		return aggregate.Emit[customers.CustomerEvent](&customers.CustomerDisabled{}, aggregate.When(!c.Enabled, ErrAlreadyDisabled))
	case *customers.AuthorizeCustomer:
		return aggregate.Emit[customers.CustomerEvent](&customers.CustomerAuthorized{}, aggregate.When(!c.Enabled, ErrCustomerUnauthorized))
	}
	return nil, fmt.Errorf("the customer aggregate does not handle %T", cmd)
}

func evolveCustomer(c customers.Customer, ev customers.CustomerEvent) (customers.Customer, error) {
	switch e := ev.(type) {
	case *customers.CustomerRegistered:
		return customers.Customer{ID: e.AggregateID, Name: e.Name, SMSNumber: e.SMSNumber, Enabled: true}, nil
	case *customers.CustomerSmsChanged:
		c.SMSNumber = e.SMSNumber
	case *customers.CustomerEnabled:
		c.Enabled = true
	case *customers.CustomerDisabled:
		c.Enabled = false
	case *customers.CustomerAuthorized:
		// Authorization changes nothing but the version: it records that
		// the customer was allowed to order at that moment.
	default:
		return c, fmt.Errorf("the customer aggregate cannot apply %T", ev)
	}
	return c, nil
}
