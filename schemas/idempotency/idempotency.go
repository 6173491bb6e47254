// Package idempotency is the published contract of the HTTP API's
// Idempotency-Key aggregate: the Go types of its command, event and
// snapshot, and their Avro schemas (the embedded .avsc files, namespace
// mallbots.idempotency). A key is claimed for one request before the
// request's command is sent; see docs/adr/0015-idempotency-keys.md.
package idempotency

import (
	"embed"
	"time"

	"github.com/mallbots/mallbots/schemas"
)

//go:embed *.avsc
var files embed.FS

// KeyCommand is a command to the Idempotency-Key aggregate.
type KeyCommand interface {
	schemas.Command
	keyCommand()
}

// KeyEvent is an event of the Idempotency-Key aggregate.
type KeyEvent interface {
	schemas.Event
	keyEvent()
}

// IdempotencyKey is the request a key is bound to.
type IdempotencyKey struct {
	Key string `avro:"key"`
	// Fingerprint is the hex SHA-256 of the request (method, path,
	// If-Match and canonical JSON body).
	Fingerprint string `avro:"fingerprint"`
	// Request is the request's method and path ("POST /api/customers").
	Request   string    `avro:"request"`
	ClaimedAt time.Time `avro:"claimedAt"`
}

// ClaimIdempotencyKey binds the key (aggregateId) to a request; the first
// claim of a key wins, a claim with the same fingerprint is accepted again.
type ClaimIdempotencyKey struct {
	schemas.CommandMeta
	Fingerprint string `avro:"fingerprint"`
	Request     string `avro:"request"`
}

// IdempotencyKeyClaimed: a key was bound to a request.
type IdempotencyKeyClaimed struct {
	schemas.EventMeta
	Fingerprint string `avro:"fingerprint"`
	Request     string `avro:"request"`
}

// IdempotencyKeySnapshot is the state-table record of a key.
type IdempotencyKeySnapshot = schemas.Snapshot[IdempotencyKey]

func (*ClaimIdempotencyKey) keyCommand() {}
func (*IdempotencyKeyClaimed) keyEvent() {}

// Types returns the record types of the idempotency context.
func Types() ([]schemas.Type, error) {
	return schemas.LoadTypes(files, "mallbots.idempotency", schemas.Records(
		new(ClaimIdempotencyKey), new(IdempotencyKeyClaimed), new(IdempotencyKeySnapshot),
	), nil)
}
