// Package contract assembles every record type MallBots publishes, across
// all contexts, for the serde and for the schema checks.
package contract

import (
	"context"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/baskets"
	"github.com/mallbots/mallbots/schemas/core"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/schemas/idempotency"
	"github.com/mallbots/mallbots/schemas/notifications"
	"github.com/mallbots/mallbots/schemas/ordering"
	"github.com/mallbots/mallbots/schemas/payments"
	"github.com/mallbots/mallbots/schemas/saga"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/schemas/stores"
	"github.com/mallbots/mallbots/topics"
	"github.com/twmb/franz-go/pkg/sr"
)

// Types returns every record type of every context.
func Types() ([]schemas.Type, error) {
	var all []schemas.Type
	for _, load := range []func() ([]schemas.Type, error){
		core.Types, stores.Types, customers.Types, baskets.Types, ordering.Types, payments.Types, depot.Types, saga.Types, notifications.Types,
		idempotency.Types,
	} {
		ts, err := load()
		if err != nil {
			return nil, err
		}
		all = append(all, ts...)
	}
	return all, nil
}

// NewSerde is the serde of the whole contract on every catalogue topic,
// registered with the registry client reaches: what every MallBots process
// and tool that reads or writes records starts from.
func NewSerde(ctx context.Context, client *sr.Client) (*serde.Serde, error) {
	types, err := Types()
	if err != nil {
		return nil, err
	}
	return serde.New(ctx, client, types, topics.All())
}
