package emitters

import (
	"context"

	"github.com/mallbots/mallbots/schemas"
)

// Issuer is who issues the commands sent with a context: a subject and its
// role (docs/adr/0023).
type Issuer struct {
	Subject string
	Role    string
}

type issuerKey struct{}

// WithIssuer returns a context whose commands Send marks as issued by who:
// the HTTP API puts the authenticated caller there, a MallBots component
// its own service name (schemas.IssuerBotPool, schemas.ServiceRole).
func WithIssuer(ctx context.Context, who Issuer) context.Context {
	return context.WithValue(ctx, issuerKey{}, who)
}

// IssuerOf is the issuer WithIssuer put in ctx.
func IssuerOf(ctx context.Context) (Issuer, bool) {
	who, ok := ctx.Value(issuerKey{}).(Issuer)
	return who, ok
}

// stamp writes ctx's issuer into the command's metadata, over whatever it
// held: the issuer comes from who sends, never from the command's content.
// Without one in ctx the command keeps what its producer wrote.
func stamp(ctx context.Context, cmd schemas.Command) {
	if who, ok := IssuerOf(ctx); ok {
		cmd.CommandMetadata().Issue(who.Subject, who.Role)
	}
}
