// Package customers is the published contract of the customers context: the Go
// types of its commands, events and records, and their Avro schemas (the
// embedded .avsc files, namespace mallbots.customers).
package customers

import (
	"embed"

	"github.com/mallbots/mallbots/schemas"
)

//go:embed *.avsc
var files embed.FS

// CustomerCommand is a command to the Customer aggregate.
type CustomerCommand interface {
	schemas.Command
	customerCommand()
}

// CustomerEvent is an event of the Customer aggregate.
type CustomerEvent interface {
	schemas.Event
	customerEvent()
}

// Customer is a record of the customers contract.
type Customer struct {
	ID        string `avro:"id"`
	Name      string `avro:"name"`
	SMSNumber string `avro:"smsNumber"`
	Enabled   bool   `avro:"enabled"`
}

// RegisterCustomer: register a customer; aggregateId is the new customer id.
type RegisterCustomer struct {
	schemas.CommandMeta
	Name      string `avro:"name"`
	SMSNumber string `avro:"smsNumber"`
}

// ChangeSmsNumber: change the customer's SMS number.
type ChangeSmsNumber struct {
	schemas.CommandMeta
	SMSNumber string `avro:"smsNumber"`
}

// EnableCustomer: enable a customer.
type EnableCustomer struct{ schemas.CommandMeta }

// DisableCustomer: disable a customer.
type DisableCustomer struct{ schemas.CommandMeta }

// AuthorizeCustomer: create-order saga step: may this customer order?.
type AuthorizeCustomer struct{ schemas.CommandMeta }

// CustomerRegistered: a customer registered.
type CustomerRegistered struct {
	schemas.EventMeta
	Name      string `avro:"name"`
	SMSNumber string `avro:"smsNumber"`
}

// CustomerSmsChanged: a customer changed SMS number.
type CustomerSmsChanged struct {
	schemas.EventMeta
	SMSNumber string `avro:"smsNumber"`
}

// CustomerEnabled: a customer was enabled.
type CustomerEnabled struct{ schemas.EventMeta }

// CustomerDisabled: a customer was disabled.
type CustomerDisabled struct{ schemas.EventMeta }

// CustomerAuthorized: a customer was authorized to order.
type CustomerAuthorized struct{ schemas.EventMeta }

// CustomerSnapshot is the state-table record of a Customer.
type CustomerSnapshot = schemas.Snapshot[Customer]

func (*RegisterCustomer) customerCommand()  {}
func (*ChangeSmsNumber) customerCommand()   {}
func (*EnableCustomer) customerCommand()    {}
func (*DisableCustomer) customerCommand()   {}
func (*AuthorizeCustomer) customerCommand() {}
func (*CustomerRegistered) customerEvent()  {}
func (*CustomerSmsChanged) customerEvent()  {}
func (*CustomerEnabled) customerEvent()     {}
func (*CustomerDisabled) customerEvent()    {}
func (*CustomerAuthorized) customerEvent()  {}

// Types returns the record types of the customers context.
func Types() ([]schemas.Type, error) {
	return schemas.LoadTypes(files, "mallbots.customers", schemas.Records(
		new(RegisterCustomer), new(ChangeSmsNumber), new(EnableCustomer), new(DisableCustomer),
		new(AuthorizeCustomer), new(CustomerRegistered), new(CustomerSmsChanged), new(CustomerEnabled),
		new(CustomerDisabled), new(CustomerAuthorized), new(CustomerSnapshot),
	), nil)
}
