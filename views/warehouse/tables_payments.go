package warehouse

// The payments context's current-state tables, columns in declared order.
var (
	// PaymentsTable holds each payment's current state (see
	// migrations/0005_payments.sql).
	PaymentsTable = Table{Name: "payments", Columns: []string{
		"id", "customer_id", "amount", "confirmed", "order_id", "version", "updated_at",
	}}
	// InvoicesTable holds each invoice's current state (see
	// migrations/0006_invoices.sql).
	InvoicesTable = Table{Name: "invoices", Columns: []string{
		"id", "order_id", "payment_id", "amount", "status", "version", "updated_at",
	}}
)
