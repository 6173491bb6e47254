// Package contract assembles every record type MallBots publishes, across
// all contexts, for the serde and for the schema checks.
package contract

import (
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/core"
	"github.com/mallbots/mallbots/schemas/stores"
)

// Types returns every record type of every context.
func Types() ([]schemas.Type, error) {
	var all []schemas.Type
	for _, load := range []func() ([]schemas.Type, error){core.Types, stores.Types} {
		ts, err := load()
		if err != nil {
			return nil, err
		}
		all = append(all, ts...)
	}
	return all, nil
}
