// Package stores is the published contract of the stores context: the Go
// types of its commands, events and state records, and their Avro schemas
// (the embedded .avsc files, namespace mallbots.stores).
package stores

import (
	"embed"

	"github.com/mallbots/mallbots/schemas"
)

//go:embed *.avsc
var files embed.FS

// StoreCommand is a command to the Store aggregate.
type StoreCommand interface {
	schemas.Command
	storeCommand()
}

// StoreEvent is an event of the Store aggregate.
type StoreEvent interface {
	schemas.Event
	storeEvent()
}

// ProductCommand is a command to the Product aggregate.
type ProductCommand interface {
	schemas.Command
	productCommand()
}

// ProductEvent is an event of the Product aggregate.
type ProductEvent interface {
	schemas.Event
	productEvent()
}

// Store is the state of a store.
type Store struct {
	ID            string `avro:"id"`
	Name          string `avro:"name"`
	Location      string `avro:"location"`
	Participating bool   `avro:"participating"`
}

// Product is the state of a product.
type Product struct {
	ID          string `avro:"id"`
	StoreID     string `avro:"storeId"`
	Name        string `avro:"name"`
	Description string `avro:"description"`
	SKU         string `avro:"sku"`
	PriceCents  int64  `avro:"priceCents"`
	Removed     bool   `avro:"removed"`
	// Category is added in ProductSnapshot v2; a v1 snapshot reads as "".
	Category string `avro:"category"`
}

// StoreSnapshot and ProductSnapshot are the state-table records.
type (
	StoreSnapshot   = schemas.Snapshot[Store]
	ProductSnapshot = schemas.Snapshot[Product]
)

// Store commands.
type (
	CreateStore struct {
		schemas.CommandMeta
		Name     string `avro:"name"`
		Location string `avro:"location"`
	}
	EnableParticipation  struct{ schemas.CommandMeta }
	DisableParticipation struct{ schemas.CommandMeta }
	RebrandStore         struct {
		schemas.CommandMeta
		Name string `avro:"name"`
	}
)

// Store events.
type (
	StoreCreated struct {
		schemas.EventMeta
		Name     string `avro:"name"`
		Location string `avro:"location"`
	}
	StoreParticipationEnabled  struct{ schemas.EventMeta }
	StoreParticipationDisabled struct{ schemas.EventMeta }
	StoreRebranded             struct {
		schemas.EventMeta
		Name string `avro:"name"`
	}
)

// Product commands. AddProduct's AggregateID is the new product's id.
type (
	AddProduct struct {
		schemas.CommandMeta
		StoreID     string `avro:"storeId"`
		Name        string `avro:"name"`
		Description string `avro:"description"`
		SKU         string `avro:"sku"`
		PriceCents  int64  `avro:"priceCents"`
		// Category is added in AddProduct v2 and optional ("" for none).
		Category string `avro:"category"`
	}
	RebrandProduct struct {
		schemas.CommandMeta
		Name        string `avro:"name"`
		Description string `avro:"description"`
	}
	IncreaseProductPrice struct {
		schemas.CommandMeta
		PriceCents int64 `avro:"priceCents"`
	}
	DecreaseProductPrice struct {
		schemas.CommandMeta
		PriceCents int64 `avro:"priceCents"`
	}
	RemoveProduct struct{ schemas.CommandMeta }
)

// Product events.
type (
	ProductAdded struct {
		schemas.EventMeta
		StoreID     string `avro:"storeId"`
		Name        string `avro:"name"`
		Description string `avro:"description"`
		SKU         string `avro:"sku"`
		PriceCents  int64  `avro:"priceCents"`
		// Category is added in ProductAdded v2; a v1 event reads as "".
		Category string `avro:"category"`
	}
	ProductRebranded struct {
		schemas.EventMeta
		Name        string `avro:"name"`
		Description string `avro:"description"`
	}
	ProductPriceIncreased struct {
		schemas.EventMeta
		DeltaCents int64 `avro:"deltaCents"`
		PriceCents int64 `avro:"priceCents"`
	}
	ProductPriceDecreased struct {
		schemas.EventMeta
		DeltaCents int64 `avro:"deltaCents"`
		PriceCents int64 `avro:"priceCents"`
	}
	ProductRemoved struct{ schemas.EventMeta }
)

func (*CreateStore) storeCommand()          {}
func (*EnableParticipation) storeCommand()  {}
func (*DisableParticipation) storeCommand() {}
func (*RebrandStore) storeCommand()         {}

func (*StoreCreated) storeEvent()               {}
func (*StoreParticipationEnabled) storeEvent()  {}
func (*StoreParticipationDisabled) storeEvent() {}
func (*StoreRebranded) storeEvent()             {}

func (*AddProduct) productCommand()           {}
func (*RebrandProduct) productCommand()       {}
func (*IncreaseProductPrice) productCommand() {}
func (*DecreaseProductPrice) productCommand() {}
func (*RemoveProduct) productCommand()        {}

func (*ProductAdded) productEvent()          {}
func (*ProductRebranded) productEvent()      {}
func (*ProductPriceIncreased) productEvent() {}
func (*ProductPriceDecreased) productEvent() {}
func (*ProductRemoved) productEvent()        {}

// Types returns the record types of the stores context.
//
// AddProduct, ProductAdded and ProductSnapshot have a v2 that adds a
// category (string, default ""). They need no upcaster: a record written with
// v1 is decoded with its own schema, has no category field, and the mapper
// leaves Category at its Go zero value, "" — the very default v2 declares.
func Types() ([]schemas.Type, error) {
	return schemas.LoadTypes(files, "mallbots.stores", schemas.Records(
		new(CreateStore), new(EnableParticipation), new(DisableParticipation), new(RebrandStore),
		new(StoreCreated), new(StoreParticipationEnabled), new(StoreParticipationDisabled),
		new(StoreRebranded), new(AddProduct), new(RebrandProduct), new(IncreaseProductPrice),
		new(DecreaseProductPrice), new(RemoveProduct), new(ProductAdded), new(ProductRebranded),
		new(ProductPriceIncreased), new(ProductPriceDecreased), new(ProductRemoved), new(StoreSnapshot),
		new(ProductSnapshot),
	), nil)
}
