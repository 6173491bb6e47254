// Package topics is the catalogue of every Kafka topic, goka group and
// consumer group MallBots uses: names, partition counts, cleanup policies,
// retention, keys and value schemas, each declared once. Everything else
// takes names from here; `mallbots topics apply` creates what is missing and
// `mallbots topics check` reports drift (see admin.go).
//
// Topics are per aggregate type, not per bounded context (docs/adr/0002): a
// context with two aggregates (stores: Store and Product) has two command
// topics, two event topics and two goka groups, so that every topic of an
// aggregate is keyed by its id and co-partitioned with its state table.
package topics

import (
	"strings"
	"time"
)

// TableOf is the name of a goka group's table: goka names it
// "<group>-table" (goka.GroupTable; a test checks they agree). The catalogue
// spells it out so that the contract packages do not depend on goka.
func TableOf(group string) string { return group + "-table" }

// Cleanup is a topic's cleanup.policy.
type Cleanup string

const (
	// Delete keeps records until their retention expires (Forever: never).
	Delete Cleanup = "delete"
	// Compact keeps the latest record per key: the state tables.
	Compact Cleanup = "compact"
)

// Forever is the retention of topics that must never lose a record: the event
// log. It is written as retention.ms=-1 and retention.bytes=-1.
const Forever time.Duration = -1

// AggregatePartitions is the partition count of every aggregate topic: the
// ceiling of a processor group's parallelism. Raising it is a migration (new
// topics and a replay), because murmur2(key) % n moves keys between partitions.
const AggregatePartitions int32 = 8

// Topic is one entry of the catalogue.
type Topic struct {
	Name       string
	Partitions int32
	Cleanup    Cleanup
	// Retention applies to Delete topics; Forever means never delete.
	Retention time.Duration
	// Key says what the record key is.
	Key string
	// Values are the Avro full names of the record types the topic carries,
	// each registered under the TopicRecordNameStrategy subject
	// "<topic>-<full name>".
	Values []string
	Doc    string
	// Class says how the topic is replicated (Durability) and which
	// guarantees its configs add.
	Class Class
}

// Aggregate names everything one aggregate type uses.
type Aggregate struct {
	// Type is the aggregate type as analysts and results see it ("store").
	Type string
	// Context is the bounded context ("stores"): the Avro namespace is
	// "mallbots.<context>".
	Context  string
	Group    string
	Commands Topic
	Events   Topic
	// Table is goka's group table, the compacted log of current state.
	Table Topic
}

// aggregate declares an aggregate's topics. Its commands and events are
// record names of the context's namespace, "mallbots.<context>"; its table
// holds the record <Type>Snapshot ("shopping_list": ShoppingListSnapshot).
func aggregate(typ, context, plural string, commands, events []string) Aggregate {
	group := "mallbots." + plural
	key := "the " + typ + " id (UTF-8)"
	namespace := "mallbots." + context
	return Aggregate{
		Type:    typ,
		Context: context,
		Group:   group,
		Commands: Topic{
			Name: "mallbots." + plural + ".commands", Partitions: AggregatePartitions,
			Cleanup: Delete, Retention: 7 * 24 * time.Hour, Key: key, Values: names(namespace, commands...),
			Doc: "commands to the " + typ + " aggregate", Class: ClassCommands,
		},
		Events: Topic{
			Name: "mallbots." + plural + ".events", Partitions: AggregatePartitions,
			Cleanup: Delete, Retention: Forever, Key: key, Values: names(namespace, events...),
			Doc: "the " + typ + " event log, kept forever", Class: ClassEventLog,
		},
		Table: Topic{
			Name: TableOf(group), Partitions: AggregatePartitions,
			Cleanup: Compact, Key: key, Values: names(namespace, recordName(typ)+"Snapshot"),
			Doc: "current state of every " + typ + " (goka group table)", Class: ClassTable,
		},
	}
}

func names(namespace string, types ...string) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = namespace + "." + t
	}
	return out
}

// recordName writes an aggregate type as a record name: "shopping_list" →
// "ShoppingList".
func recordName(typ string) string {
	var b strings.Builder
	for _, w := range strings.Split(typ, "_") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// The aggregates.
var (
	Stores = aggregate("store", "stores", "stores",
		[]string{"CreateStore", "EnableParticipation", "DisableParticipation", "RebrandStore"},
		[]string{"StoreCreated", "StoreParticipationEnabled", "StoreParticipationDisabled", "StoreRebranded"})
	Products = aggregate("product", "stores", "products",
		[]string{"AddProduct", "RebrandProduct", "IncreaseProductPrice", "DecreaseProductPrice", "RemoveProduct"},
		[]string{"ProductAdded", "ProductRebranded", "ProductPriceIncreased", "ProductPriceDecreased", "ProductRemoved"})
	Customers = aggregate("customer", "customers", "customers",
		[]string{"RegisterCustomer", "ChangeSmsNumber", "EnableCustomer", "DisableCustomer", "AuthorizeCustomer"},
		[]string{"CustomerRegistered", "CustomerSmsChanged", "CustomerEnabled", "CustomerDisabled", "CustomerAuthorized"})
	Baskets = aggregate("basket", "baskets", "baskets",
		[]string{"StartBasket", "AddItem", "RemoveItem", "CancelBasket", "CheckoutBasket"},
		[]string{"BasketStarted", "BasketItemAdded", "BasketItemRemoved", "BasketCanceled", "BasketCheckedOut"})
	Orders = aggregate("order", "ordering", "orders",
		[]string{"CreateOrder", "ApproveOrder", "RejectOrder", "CancelOrder", "ReadyOrder", "CompleteOrder"},
		[]string{"OrderCreated", "OrderApproved", "OrderRejected", "OrderCanceled", "OrderReadied", "OrderCompleted"})
	Payments = aggregate("payment", "payments", "payments",
		[]string{"AuthorizePayment", "ConfirmPayment"},
		[]string{"PaymentAuthorized", "PaymentConfirmed"})
	Invoices = aggregate("invoice", "payments", "invoices",
		[]string{"CreateInvoice", "PayInvoice", "CancelInvoice"},
		[]string{"InvoiceCreated", "InvoicePaid", "InvoiceCanceled"})
	ShoppingLists = aggregate("shopping_list", "depot", "shoppinglists",
		[]string{"CreateShoppingList", "InitiateShopping", "AssignShoppingList", "CompleteShoppingList", "CancelShoppingList"},
		[]string{"ShoppingListCreated", "ShoppingListInitiated", "ShoppingListAssigned", "ShoppingListCompleted", "ShoppingListCanceled"})
	Bots = aggregate("bot", "depot", "bots",
		[]string{"AssignBot", "ReleaseBot"},
		[]string{"BotAssigned", "BotReleased"})
)

// IdempotencyKeys is the HTTP API's own aggregate, run by the engine like
// the domain's but not one of them (not in Aggregates: nothing projects it,
// replays it or counts it as the mall's): one snapshot per Idempotency-Key,
// binding the key to the first request that claimed it (docs/adr/0015).
// Its group runs with the API component. Its commands and events serve only
// that binding and the engine's redelivery checks, so they are kept for as
// long as the domain's commands, not forever; its table keeps every key.
var IdempotencyKeys = func() Aggregate {
	a := aggregate("idempotency_key", "idempotency", "idempotencykeys",
		[]string{"ClaimIdempotencyKey"},
		[]string{"IdempotencyKeyClaimed"})
	a.Events.Retention = a.Commands.Retention
	a.Commands.Key = "the Idempotency-Key (UTF-8)"
	a.Events.Key, a.Table.Key = a.Commands.Key, a.Commands.Key
	a.Events.Doc = "the claims of Idempotency-Keys, for the engine's redelivery checks"
	a.Commands.Doc = "claims of Idempotency-Keys by the HTTP API"
	a.Table.Doc = "the request each Idempotency-Key is bound to (goka group table)"
	return a
}()

// The create-order saga: one goka group keyed by order id, reading the
// order events (OrderCreated starts it) and its replies.
var (
	SagaGroup = "mallbots.saga.createorder"
	// SagaReplies carries the participants' results of the saga's commands
	// and the saga clock's timeouts, keyed by order id.
	SagaReplies = Topic{
		Name: "mallbots.saga.replies", Partitions: AggregatePartitions, Cleanup: Delete,
		Retention: 7 * 24 * time.Hour, Key: "the order id",
		Values: []string{"mallbots.core.CommandResult", "mallbots.saga.StepTimedOut"},
		Doc:    "replies to the create-order saga's commands, and its timeouts",
		// What the saga decides on, as an aggregate on its commands.
		Class: ClassCommands,
	}
	SagaTable = Topic{
		Name: TableOf(SagaGroup), Partitions: AggregatePartitions, Cleanup: Compact,
		Key: "the order id", Values: []string{"mallbots.saga.CreateOrderSaga"},
		Doc: "state of every create-order saga", Class: ClassTable,
	}
)

// Notifications: one goka group keyed by order id that sends each kind of
// message at most once, and the topic the default sender records them on.
var (
	NotificationsGroup = "mallbots.notifications"
	NotificationsTable = Topic{
		Name: TableOf(NotificationsGroup), Partitions: AggregatePartitions, Cleanup: Compact,
		Key: "the order id", Values: []string{"mallbots.notifications.NotificationState"},
		Doc: "which notifications each order has had", Class: ClassTable,
	}
	NotificationsSent = Topic{
		Name: "mallbots.notifications.sent", Partitions: AggregatePartitions, Cleanup: Delete, Retention: Forever,
		Key: "the order id", Values: []string{"mallbots.notifications.Notification"},
		Doc: "every notification sent by the default sender", Class: ClassEventLog,
	}
)

// PoliciesGroup turns events into commands (event → command), stateless.
const PoliciesGroup = "mallbots.policies"

// SchemaRegistryGroup is the consumer group in which Confluent's schema
// registry elects its primary (schema.registry.group.id), where one runs
// instead of the embedded registry (docker-compose.yml): on a broker that
// enforces ACLs, the registry's principal must be allowed to join it.
const SchemaRegistryGroup = "mallbots.schema-registry"

// Shared topics.
var (
	// Results carries one CommandResult per handled command, keyed by command
	// id, so that a producer can wait for the outcome of what it sent.
	Results = Topic{
		Name: "mallbots.results", Partitions: AggregatePartitions, Cleanup: Delete,
		Retention: 24 * time.Hour, Key: "the command id", Values: []string{"mallbots.core.CommandResult"},
		Doc: "accepted/rejected outcome of every command", Class: ClassResults,
	}
	// DeadLetter keeps records that could not be handled (undecodable, no
	// key, wrong type), byte for byte, with the reason in headers.
	DeadLetter = Topic{
		Name: "mallbots.deadletter", Partitions: 1, Cleanup: Delete, Retention: Forever,
		Key: "the original key", Values: nil,
		Doc: "records that could not be handled, original bytes, reason in headers", Class: ClassDeadLetters,
	}
	// Schemas stores the embedded schema registry's schemas.
	Schemas = Topic{
		Name: "_schemas", Partitions: 1, Cleanup: Compact,
		Key: "subject and version", Doc: "the embedded schema registry's log", Class: ClassInternal,
	}
)

// Consumer groups that are not goka processors.
const (
	// ProjectorEvents projects every event into mallbots.events.
	ProjectorEvents = "mallbots.projector.events"
	// ProjectorState projects the state tables into the current-state tables.
	ProjectorState = "mallbots.projector.state"
	// ProjectorSearch projects the orders table into the order search table.
	ProjectorSearch = "mallbots.projector.search"
	// ProjectorNotifications projects the notifications sent.
	ProjectorNotifications = "mallbots.projector.notifications"
	// ProjectorAnalytics projects the order and basket events into the
	// analytics fact tables (docs/analytics.md).
	ProjectorAnalytics = "mallbots.projector.analytics"
)

// Aggregates lists every aggregate type.
func Aggregates() []Aggregate {
	return []Aggregate{Stores, Products, Customers, Baskets, Orders, Payments, Invoices, ShoppingLists, Bots}
}

// EngineAggregates lists every aggregate processors/engine runs: the
// domain's (Aggregates) and the API's IdempotencyKeys. Commands reach any of
// them.
func EngineAggregates() []Aggregate { return append(Aggregates(), IdempotencyKeys) }

// All lists every topic of the catalogue.
func All() []Topic {
	all := []Topic{Schemas, Results, DeadLetter}
	for _, a := range EngineAggregates() {
		all = append(all, a.Commands, a.Events, a.Table)
	}
	return append(all, SagaReplies, SagaTable, NotificationsTable, NotificationsSent)
}

// EventTopics lists the event log topics.
func EventTopics() []string {
	var out []string
	for _, a := range Aggregates() {
		out = append(out, a.Events.Name)
	}
	return out
}

// CommandTopic finds the command topic that carries a command type (Avro
// full name).
func CommandTopic(fullName string) (Topic, bool) {
	for _, a := range EngineAggregates() {
		for _, v := range a.Commands.Values {
			if v == fullName {
				return a.Commands, true
			}
		}
	}
	return Topic{}, false
}

// ByName finds a topic of the catalogue.
func ByName(name string) (Topic, bool) {
	for _, t := range All() {
		if t.Name == name {
			return t, true
		}
	}
	return Topic{}, false
}

// AggregateOf finds the aggregate a topic belongs to.
func AggregateOf(topic string) (Aggregate, bool) {
	for _, a := range Aggregates() {
		if a.Commands.Name == topic || a.Events.Name == topic || a.Table.Name == topic {
			return a, true
		}
	}
	return Aggregate{}, false
}

// Record headers MallBots writes.
const (
	// HeaderDLQReason and the other dead-letter headers say why a record is on
	// mallbots.deadletter and where it came from.
	HeaderDLQReason    = "mallbots-dlq-reason"
	HeaderDLQTopic     = "mallbots-dlq-topic"
	HeaderDLQPartition = "mallbots-dlq-partition"
	HeaderDLQOffset    = "mallbots-dlq-offset"
	HeaderDLQGroup     = "mallbots-dlq-group"
	// HeaderForwardedFrom marks a command re-emitted because it arrived on a
	// partition its key does not hash to.
	HeaderForwardedFrom = "mallbots-forwarded-from"
	// HeaderReplyTo on a command asks its aggregate to also send the result
	// to this topic (only SagaReplies is supported), keyed by HeaderReplyKey.
	HeaderReplyTo  = "mallbots-reply-to"
	HeaderReplyKey = "mallbots-reply-key"
)
