package analytics

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/customers"
	notes "github.com/mallbots/mallbots/schemas/notifications"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/stores"
)

// FixtureStart is when the fixture's first event occurs.
var FixtureStart = time.Date(2026, 3, 1, 21, 0, 0, 0, time.UTC)

// Fixture is a small made-up history that exercises every cookbook query
// across two days: completed, rejected (two reasons), canceled and
// unfinished orders; canceled, open and empty baskets; an item removed; a
// store rebranded between orders and another leaving the mall; prices that
// go up and down; a product removed; stores created before the hash chain
// (docs/adr/0021) and chained afterwards; and one broken link in the
// chain (BrokenLink). It is deterministic.
func Fixture() (*History, error) { return fixtureHistory(true) }

// HonestFixture is Fixture's history with every chain intact: the
// cookbook's chain check finds nothing in it.
func HonestFixture() (*History, error) { return fixtureHistory(false) }

// BrokenLink is the event whose link Fixture breaks: product p4's rebranding
// (version 2) names as its predecessor a hash that is not the hash of
// version 1, as a record produced on a made-up or altered history does.
var BrokenLink = struct {
	Aggregate, ID string
	Version       int64
}{"product", "p4", 2}

func fixtureHistory(broken bool) (*History, error) {
	f, err := newFixture()
	if err != nil {
		return nil, err
	}
	f.story()
	if broken {
		f.breakLink()
	}
	return f.h, f.err
}

// link is the fixture's stand-in for an event's hash: deterministic and
// distinct per event and predecessor. The cookbook compares hashes as
// recorded; recomputing them from a record's bytes is mallbots verify's.
func link(prev, eventID string) string {
	sum := sha256.Sum256([]byte(prev + "\x00" + eventID))
	return hex.EncodeToString(sum[:])
}

// breakLink gives BrokenLink's event a prevHash that is no event's hash.
func (f *fixture) breakLink() {
	for _, e := range f.h.Events {
		m := e.Meta()
		if e.Aggregate == BrokenLink.Aggregate && m.AggregateID == BrokenLink.ID && m.AggregateVersion == BrokenLink.Version {
			m.PrevHash = link("", "made up")
			m.Hash = link(m.PrevHash, m.EventID)
			return
		}
	}
	if f.err == nil {
		f.err = fmt.Errorf("analytics: fixture: no event %+v to break the link of", BrokenLink)
	}
}

// FixtureParams are the cookbook parameters for Fixture's history: the
// instant is the second after order b5 was canceled, which is after the
// first day's price changes and the rebrandings, after basket b2 lost an
// item, and before order b1 completed; the aggregate is order b1; the
// product is p2, whose price two store managers changed.
func FixtureParams(h *History) Params {
	var instant time.Time
	for _, e := range h.Events {
		if _, ok := e.Event.(*ordering.OrderCanceled); ok && e.Meta().AggregateID == "b5" {
			instant = e.Meta().OccurredAt.Truncate(time.Second).Add(time.Second)
		}
	}
	return Params{"instant": instant, "basket_id": "b2", "type": "order", "id": "b1", "product_id": "p2"}
}

type fixture struct {
	h        *History
	at       time.Time
	names    map[reflect.Type]string
	versions map[string]int64
	items    map[string][]baskets.BasketItem // open basket → lines
	customer map[string]string               // basket → customer
	catalog  map[string]baskets.BasketItem   // product → a line of 1
	seq      int
	chained  bool              // whether emit seals events into their aggregate's chain
	who      [2]string         // who issues the next events' commands: subject, role (docs/adr/0023)
	last     map[string]string // aggregate → the hash of its last event
	err      error
}

func newFixture() (*fixture, error) {
	types, err := contract.Types()
	if err != nil {
		return nil, err
	}
	f := &fixture{
		h: &History{}, at: FixtureStart, names: map[reflect.Type]string{}, versions: map[string]int64{},
		items: map[string][]baskets.BasketItem{}, customer: map[string]string{}, catalog: map[string]baskets.BasketItem{},
		chained: true, last: map[string]string{},
	}
	for _, t := range types {
		f.names[t.GoType()] = t.Name
	}
	return f, nil
}

// emit appends ev to aggregate id of type agg, step after the previous
// event.
func (f *fixture) emit(agg, id string, step time.Duration, ev schemas.Event) {
	f.at = f.at.Add(step)
	f.seq++
	key := agg + "/" + id
	f.versions[key]++
	name, ok := f.names[reflect.TypeOf(ev).Elem()]
	if !ok && f.err == nil {
		f.err = fmt.Errorf("analytics: fixture: %T is not in the contract", ev)
	}
	cmd := fmt.Sprintf("fixture-command-%d", f.seq)
	*ev.EventMetadata() = schemas.EventMeta{
		EventID: schemas.EventID(cmd, 0), AggregateID: id, AggregateVersion: f.versions[key],
		OccurredAt: f.at, CommandID: cmd, CorrelationID: cmd, IssuedBy: f.who[0], IssuerRole: f.who[1],
	}
	if f.chained {
		m := ev.EventMetadata()
		m.PrevHash, m.Hash = f.last[key], link(f.last[key], m.EventID)
		f.last[key] = m.Hash
	}
	f.h.Add(Event{Type: name, Aggregate: agg, Event: ev})
}

// as emits the events of do as issued by subject in role; the others are
// issued by the fixture's operator, or by no one (written before the who
// fields) where the story says so.
func (f *fixture) as(subject, role string, do func()) {
	before := f.who
	f.who = [2]string{subject, role}
	do()
	f.who = before
}

func (f *fixture) notify(order, kind string) {
	f.h.AddNotification(&notes.Notification{
		NotificationID: order + "/" + kind, OrderID: order, CustomerID: f.customer[order], SMSNumber: "+15550100",
		Kind: kind, Text: kind + " " + order, SentAt: f.at.Add(300 * time.Millisecond),
	})
}

func (f *fixture) store(id, name, location string) {
	f.emit("store", id, time.Second, &stores.StoreCreated{Name: name, Location: location})
	f.emit("store", id, time.Second, &stores.StoreParticipationEnabled{})
}

func (f *fixture) product(id, store, storeName, name string, cents int64) {
	f.emit("product", id, time.Second, &stores.ProductAdded{StoreID: store, Name: name, PriceCents: cents, SKU: id})
	f.catalog[id] = baskets.BasketItem{ProductID: id, StoreID: store, StoreName: storeName, ProductName: name, PriceCents: cents, Quantity: 1}
}

func (f *fixture) basket(id, customer string, lines ...any) {
	f.customer[id] = customer
	f.emit("basket", id, 2*time.Second, &baskets.BasketStarted{CustomerID: customer})
	for i := 0; i+1 < len(lines); i += 2 {
		f.add(id, lines[i].(string), int32(lines[i+1].(int)))
	}
}

func (f *fixture) add(basket, product string, qty int32) {
	it := f.catalog[product]
	it.Quantity = qty
	f.emit("basket", basket, 1500*time.Millisecond, &baskets.BasketItemAdded{Item: it})
	for i, l := range f.items[basket] {
		if l.ProductID == product {
			f.items[basket][i].Quantity += qty
			return
		}
	}
	f.items[basket] = append(f.items[basket], it)
}

func (f *fixture) remove(basket, product string, qty int32) {
	for i, l := range f.items[basket] {
		if l.ProductID == product {
			qty = min(qty, l.Quantity)
			f.items[basket][i].Quantity -= qty
			if f.items[basket][i].Quantity == 0 {
				f.items[basket] = append(f.items[basket][:i], f.items[basket][i+1:]...)
			}
			f.emit("basket", basket, time.Second, &baskets.BasketItemRemoved{ProductID: product, Quantity: qty})
			return
		}
	}
}

// checkout checks the basket out and creates its order.
func (f *fixture) checkout(basket string) {
	var items []ordering.OrderItem
	var total int64
	for _, l := range f.items[basket] {
		items = append(items, ordering.OrderItem(l))
		total += l.PriceCents * int64(l.Quantity)
	}
	f.emit("basket", basket, 3*time.Second, &baskets.BasketCheckedOut{CustomerID: f.customer[basket], PaymentID: "pay-" + basket, Items: f.items[basket], TotalCents: total})
	f.emit("order", basket, 40*time.Millisecond, &ordering.OrderCreated{CustomerID: f.customer[basket], PaymentID: "pay-" + basket, Items: items, TotalCents: total})
	f.notify(basket, "order_received")
}

func (f *fixture) approve(order string, after time.Duration) {
	f.emit("order", order, after, &ordering.OrderApproved{ShoppingListID: "list-" + order})
}

func (f *fixture) ready(order string, after time.Duration) {
	var total int64
	for _, l := range f.items[order] {
		total += l.PriceCents * int64(l.Quantity)
	}
	f.emit("order", order, after, &ordering.OrderReadied{PaymentID: "pay-" + order, TotalCents: total})
	f.notify(order, "order_ready")
}

func (f *fixture) complete(order string, after time.Duration) {
	f.emit("order", order, after, &ordering.OrderCompleted{InvoiceID: order})
	f.notify(order, "order_completed")
}

func (f *fixture) reject(order, reason string, after time.Duration) {
	f.emit("order", order, after, &ordering.OrderRejected{Reason: reason})
	f.notify(order, "order_rejected")
}

func (f *fixture) story() {
	// The stores predate the chain: their first events carry no hashes,
	// and their later ones chain from "" (ADR 0021, adopted logs).
	f.chained = false
	f.store("s1", "Waldorf Books", "Level 1")
	f.store("s2", "Nic & Naks", "Level 2")
	f.store("s3", "Closing Down", "Level 3")
	f.chained = true
	// From here on the commands name who issued them (ADR 0023): the
	// operator, unless a store manager changes a price.
	f.who = [2]string{"ops-1", "operator"}
	f.product("p1", "s1", "Waldorf Books", "Wizard w/ crystal", 999)
	f.product("p2", "s1", "Waldorf Books", "Dragon & egg", 2450)
	f.product("p3", "s2", "Nic & Naks", "Crystal ball", 525)
	f.product("p4", "s2", "Nic & Naks", "Wand", 1200)
	f.product("p5", "s3", "Closing Down", "Old map", 300)
	for _, c := range []string{"c1", "c2", "c3", "c4", "c5", "c6"} {
		f.emit("customer", c, time.Second, &customers.CustomerRegistered{Name: "Customer " + c, SMSNumber: "+15550100"})
	}

	f.basket("b1", "c1", "p1", 2, "p3", 1)
	f.checkout("b1")
	f.approve("b1", 450*time.Millisecond)
	f.basket("b2", "c2", "p2", 1, "p1", 1)
	f.remove("b2", "p1", 3) // asks for more than it has: removes 1
	f.basket("b3", "c3", "p4", 3)
	f.checkout("b3")
	f.reject("b3", "customer is not authorized", 120*time.Millisecond)
	f.ready("b1", 20*time.Second)
	f.checkout("b2")
	f.approve("b2", 380*time.Millisecond)
	f.basket("b4", "c4", "p1", 1)
	f.checkout("b4")
	f.reject("b4", "payment cannot be confirmed", 300*time.Millisecond)
	f.as("manager-ada", "store_manager", func() {
		f.emit("product", "p2", time.Second, &stores.ProductPriceIncreased{DeltaCents: 150, PriceCents: 2600})
	})
	f.as("manager-bob", "store_manager", func() {
		f.emit("product", "p3", time.Second, &stores.ProductPriceDecreased{DeltaCents: 50, PriceCents: 475})
	})
	f.emit("store", "s2", time.Second, &stores.StoreRebranded{Name: "Nic and Naks"})
	f.emit("product", "p4", time.Second, &stores.ProductRebranded{Name: "Magic wand", Description: "renamed"})
	f.emit("product", "p5", time.Second, &stores.ProductRemoved{})
	f.emit("store", "s3", time.Second, &stores.StoreParticipationDisabled{})
	for id, name := range map[string]string{"p3": "Crystal ball", "p4": "Magic wand"} {
		it := f.catalog[id]
		it.StoreName, it.ProductName = "Nic and Naks", name
		if id == "p3" {
			it.PriceCents = 475
		}
		f.catalog[id] = it
	}
	it := f.catalog["p2"]
	it.PriceCents = 2600
	f.catalog["p2"] = it

	f.basket("b5", "c5", "p3", 2)
	f.checkout("b5")
	f.approve("b5", 500*time.Millisecond)
	f.emit("order", "b5", 2*time.Second, &ordering.OrderCanceled{ShoppingListID: "list-b5"})
	f.notify("b5", "order_canceled")
	f.basket("b6", "c6", "p2", 1)
	f.emit("basket", "b6", time.Second, &baskets.BasketCanceled{})
	f.complete("b1", 90*time.Second)
	f.ready("b2", 30*time.Second)
	f.basket("b7", "c1", "p4", 1)
	f.basket("b8", "c2")

	// The next day (UTC): more sales, another store's products.
	f.at = FixtureStart.Add(3 * time.Hour)
	f.complete("b2", time.Second)
	f.basket("b9", "c3", "p1", 5, "p4", 1)
	f.checkout("b9")
	f.approve("b9", 410*time.Millisecond)
	f.ready("b9", 25*time.Second)
	f.basket("b10", "c4", "p3", 1)
	f.checkout("b10")
	f.reject("b10", "payment cannot be confirmed", 250*time.Millisecond)
	f.basket("b11", "c5", "p1", 1, "p3", 4)
	f.checkout("b11")
	f.approve("b11", 390*time.Millisecond)
	f.ready("b11", 18*time.Second)
	f.complete("b11", 45*time.Second)
	f.as("manager-cy", "store_manager", func() {
		f.emit("product", "p2", time.Minute, &stores.ProductPriceDecreased{DeltaCents: 150, PriceCents: 2450})
	})
}
