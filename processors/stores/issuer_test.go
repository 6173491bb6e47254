package stores

import (
	"testing"

	"github.com/mallbots/mallbots/processors/engine/enginetest"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// Who issued a command is recorded in every event it caused (docs/adr/0023),
// inside the bytes the hash chain seals: a record whose issuer is changed
// no longer checks.
func TestEveryEventNamesWhoIssuedItsCommandInsideItsHash(t *testing.T) {
	r := enginetest.New(t, Groups)
	create := &stores.CreateStore{CommandMeta: meta("c1", "s1"), Name: "Nic & Naks", Location: "L"}
	create.Issue("ops-1", "operator")
	r.Send(create)
	add := &stores.AddProduct{CommandMeta: meta("c2", "p1"), StoreID: "s1", Name: "Wizard", PriceCents: 998}
	add.Issue("manager-7", "store_manager")
	r.Send(add)
	raise := &stores.IncreaseProductPrice{CommandMeta: meta("c3", "p1"), PriceCents: 1000}
	raise.Issue("manager-8", "store_manager")
	r.Send(raise)

	if ev, l := link(t, r.NextEventRaw(topics.Stores)); ev.EventMetadata().IssuedBy != "ops-1" || ev.EventMetadata().IssuerRole != "operator" || !l.Intact() {
		t.Errorf("StoreCreated names %q (%q), intact %v; want ops-1 (operator)", ev.EventMetadata().IssuedBy, ev.EventMetadata().IssuerRole, l.Intact())
	}
	for _, want := range []string{"manager-7", "manager-8"} {
		ev := r.NextEvent(topics.Products)
		if m := ev.EventMetadata(); m.IssuedBy != want || m.IssuerRole != "store_manager" {
			t.Errorf("%T names %q (%q), want %s (store_manager)", ev, m.IssuedBy, m.IssuerRole, want)
		}
	}
}
