// Package core is the published contract shared by every context: the
// command result record (namespace mallbots.core).
package core

import (
	"embed"

	"github.com/mallbots/mallbots/schemas"
)

//go:embed *.avsc
var files embed.FS

// Types returns the shared record types.
func Types() ([]schemas.Type, error) {
	return schemas.LoadTypes(files, "mallbots.core", schemas.Records(
		new(schemas.CommandResult),
	), nil)
}
