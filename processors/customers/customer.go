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
	"strings"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas/customers"
)

// Customer rejections, with the exact texts of docs/domain.md.
var (
	ErrCustomerNameBlank    = aggregate.Reject(aggregate.Invalid, "customer_name_blank", "the customer name cannot be blank")
	ErrSmsNumberBlank       = aggregate.Reject(aggregate.Invalid, "sms_number_blank", "the SMS number cannot be blank")
	ErrCustomerExists       = aggregate.Reject(aggregate.Invalid, "customer_exists", "the customer already exists")
	ErrCustomerNotFound     = aggregate.Reject(aggregate.NotFound, "customer_not_found", "the customer does not exist")
	ErrAlreadyEnabled       = aggregate.Reject(aggregate.Invalid, "customer_already_enabled", "the customer is already enabled")
	ErrAlreadyDisabled      = aggregate.Reject(aggregate.Invalid, "customer_already_disabled", "the customer is already disabled")
	ErrCustomerUnauthorized = aggregate.Reject(aggregate.Unauthorized, "customer_not_authorized", "customer is not authorized")
)

// CustomerRules are the Customer aggregate's rules. A customer is enabled
// on registration; only an enabled customer is authorized to order.
var CustomerRules = aggregate.Rules[customers.Customer, customers.CustomerCommand, customers.CustomerEvent]{
	Type:   "customer",
	Decide: decideCustomer,
	Evolve: evolveCustomer,
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func decideCustomer(c *customers.Customer, cmd customers.CustomerCommand, _ aggregate.Facts) ([]customers.CustomerEvent, error) {
	if reg, ok := cmd.(*customers.RegisterCustomer); ok {
		switch {
		case c != nil:
			return nil, ErrCustomerExists
		case blank(reg.Name):
			return nil, ErrCustomerNameBlank
		case blank(reg.SMSNumber):
			return nil, ErrSmsNumberBlank
		}
		return one[customers.CustomerEvent](&customers.CustomerRegistered{Name: reg.Name, SMSNumber: reg.SMSNumber}), nil
	}
	if c == nil {
		return nil, ErrCustomerNotFound
	}
	switch cmd := cmd.(type) {
	case *customers.ChangeSmsNumber:
		if blank(cmd.SMSNumber) {
			return nil, ErrSmsNumberBlank
		}
		return one[customers.CustomerEvent](&customers.CustomerSmsChanged{SMSNumber: cmd.SMSNumber}), nil
	case *customers.EnableCustomer:
		if c.Enabled {
			return nil, ErrAlreadyEnabled
		}
		return one[customers.CustomerEvent](&customers.CustomerEnabled{}), nil
	case *customers.DisableCustomer:
		if !c.Enabled {
			return nil, ErrAlreadyDisabled
		}
		return one[customers.CustomerEvent](&customers.CustomerDisabled{}), nil
	case *customers.AuthorizeCustomer:
		if !c.Enabled {
			return nil, ErrCustomerUnauthorized
		}
		return one[customers.CustomerEvent](&customers.CustomerAuthorized{}), nil
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

func one[E any](e E) []E { return []E{e} }
