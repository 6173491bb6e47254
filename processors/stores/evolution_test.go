package stores

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
)

// Products gained a category in v2 of AddProduct, ProductAdded and
// ProductSnapshot. These tests hold the promise that made that change safe:
// what was written with v1 before it still decodes, and replays to exactly
// the state it replayed to then.

// v1Fixtures are the Avro bodies written with v1, committed (in 1f0fafc)
// before v2 existed. Their digests pin them: a fixture regenerated after the
// change would prove nothing about records written before it.
var v1Fixtures = map[string]string{
	"mallbots.stores.ProductAdded":    "03457e4b157512e095bd889506aca99cb8b99f6a5037a20298c72a53b89b097e",
	"mallbots.stores.ProductSnapshot": "2c6dfde65c7e0e13da6e8da009f1767a9367131880bbc345eea9f68c05f2dfa8",
	"mallbots.stores.AddProduct":      "2caf23e210d255fa98f6a2632ea495456e97cdcfa5b0db97f4939cc145ec2b2b",
}

// decodeV1Fixture frames the committed v1 fixture of a record with the id
// its subject registered for version 1, and decodes it as a reader built
// with v2 does.
func decodeV1Fixture(t *testing.T, topic, name string) any {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "schemas", "testdata", "records", name+".v1.avro"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != v1Fixtures[name] {
		t.Fatalf("the v1 fixture of %s is not the one written before v2 (sha256 %x): restore it from git, never regenerate it", name, sum)
	}
	ctx := context.Background()
	sd, client := testkit.Serde(t)
	registered, err := client.SchemaByVersion(ctx, serde.Subject(topic, name), 1)
	if err != nil {
		t.Fatal(err)
	}
	b := binary.BigEndian.AppendUint32([]byte{0}, uint32(registered.ID))
	b = append(b, body...)
	if got, version, err := sd.Writer(ctx, b); err != nil || got != name || version != 1 {
		t.Fatalf("the fixture reads as %s v%d (%v), want %s v1", got, version, err, name)
	}
	v, err := sd.Decode(ctx, serde.Position{Topic: topic}, b)
	if err != nil {
		t.Fatalf("a v1 %s no longer decodes: %v", name, err)
	}
	return v
}

func TestAV1ProductAddedReplaysToTheSameStateAsBeforeV2(t *testing.T) {
	ev := decodeV1Fixture(t, topics.Products.Events.Name, "mallbots.stores.ProductAdded").(*stores.ProductAdded)

	got, err := ProductRules.Evolve(stores.Product{}, ev)
	if err != nil {
		t.Fatal(err)
	}
	// The state this event folded to before v2, printed then from the same
	// fixture; Category is the one field v2 added, and v1 had none.
	want := stores.Product{ID: "AggregateID #2 ü✓", StoreID: "StoreID #8 ü✓", Name: "Name #9 ü✓",
		Description: "Description #10 ü✓", SKU: "SKU #11 ü✓", PriceCents: -12000036, Removed: false, Category: ""}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("a v1 ProductAdded replays to\n%#v\nwant the state it gave before v2\n%#v", got, want)
	}

	// And the rest of a history written before v2 folds on it as before.
	got, err = ProductRules.Evolve(got, &stores.ProductRebranded{Name: "Wizard", Description: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Wizard" || got.Category != "" || got.PriceCents != want.PriceCents {
		t.Fatalf("after a rebrand: %#v", got)
	}
}

func TestAV2ProductAddedGivesTheProductItsCategoryAndLaterEventsKeepIt(t *testing.T) {
	p, err := ProductRules.Evolve(stores.Product{}, &stores.ProductAdded{StoreID: "s1", Name: "Wizard", PriceCents: 998, Category: "toys"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []stores.ProductEvent{
		&stores.ProductRebranded{Name: "Wizard w/ crystal"},
		&stores.ProductPriceIncreased{DeltaCents: 1, PriceCents: 999},
		&stores.ProductRemoved{},
	} {
		if p, err = ProductRules.Evolve(p, ev); err != nil {
			t.Fatal(err)
		}
	}
	if p.Category != "toys" {
		t.Fatalf("category %q after later events, want toys", p.Category)
	}
}

func TestAV1ProductSnapshotReadsAsBeforeWithNoCategory(t *testing.T) {
	snap := decodeV1Fixture(t, topics.Products.Table.Name, "mallbots.stores.ProductSnapshot").(*stores.ProductSnapshot)
	want := stores.Product{ID: "ID #23 ü✓", StoreID: "StoreID #24 ü✓", Name: "Name #25 ü✓",
		Description: "Description #26 ü✓", SKU: "SKU #27 ü✓", PriceCents: -28000084, Removed: true, Category: ""}
	if snap.State != want || snap.AggregateID != "AggregateID #1 ü✓" || snap.Version != -2000006 || snap.LastOffset != 3 ||
		!snap.UpdatedAt.Equal(time.Date(2024, time.April, 28, 23, 6, 40, 151000000, time.UTC)) || len(snap.Recent) != 2 {
		t.Fatalf("a v1 ProductSnapshot reads as %+v, want the state it held before v2 %+v", snap, want)
	}
}

func TestAV1AddProductFromAnOldClientAddsAProductWithoutACategory(t *testing.T) {
	cmd := decodeV1Fixture(t, topics.Products.Commands.Name, "mallbots.stores.AddProduct").(*stores.AddProduct)
	facts := storeExists
	cmd.StoreID = "store-1" // the store that exists
	events, err := ProductRules.Decide(nil, cmd, facts)
	if err != nil {
		t.Fatal(err)
	}
	added := events[0].(*stores.ProductAdded)
	if added.Category != "" || added.Name != "Name #8 ü✓" || added.PriceCents != 11 {
		t.Fatalf("a v1 AddProduct decided %+v", added)
	}
}
