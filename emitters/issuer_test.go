package emitters

import (
	"context"
	"testing"

	"github.com/mallbots/mallbots/schemas/stores"
)

// The issuer in the context replaces whatever the command claimed; without
// one, the command keeps its producer's claim.
func TestTheContextsIssuerReplacesTheCommandsClaim(t *testing.T) {
	cmd := &stores.IncreaseProductPrice{PriceCents: 100}
	cmd.Issue("mallory", "operator")
	stamp(context.Background(), cmd)
	if cmd.IssuedBy != "mallory" || cmd.IssuerRole != "operator" {
		t.Fatalf("without an issuer in the context the claim changed: %q (%q)", cmd.IssuedBy, cmd.IssuerRole)
	}
	stamp(WithIssuer(context.Background(), Issuer{Subject: "manager-7", Role: "store_manager"}), cmd)
	if cmd.IssuedBy != "manager-7" || cmd.IssuerRole != "store_manager" {
		t.Fatalf("the context's issuer did not replace the claim: %q (%q)", cmd.IssuedBy, cmd.IssuerRole)
	}
}
