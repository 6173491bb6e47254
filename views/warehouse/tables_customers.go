package warehouse

// CustomersTable holds each customer's current state (see
// migrations/0004_customers.sql), columns in declared order.
var CustomersTable = Table{Name: "customers", Columns: []string{
	"id", "name", "sms_number", "enabled", "version", "updated_at",
}}
