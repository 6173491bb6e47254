package httpapi

import (
	"crypto/ed25519"
	"crypto/rand"
	"time"

	"github.com/mallbots/mallbots/app/auth"
)

// testIssuer signs the tokens of this package's tests.
var testIssuer = func() *auth.Issuer {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return auth.NewIssuer(key)
}()

// WithTestAuth is d verifying the tokens of the tests' issuer, which also
// signs a kiosk's new customers' tokens.
func WithTestAuth(d Deps) Deps {
	d.Auth, d.Tokens = testIssuer, testIssuer
	return d
}

// TokenFor is a token of the tests' issuer for p, valid for an hour.
func TokenFor(p auth.Principal) string {
	tok, err := testIssuer.Issue(p, time.Hour)
	if err != nil {
		panic(err)
	}
	return tok
}

// OperatorToken may call every route of an API built WithTestAuth.
var OperatorToken = TokenFor(auth.Principal{Role: auth.Operator})
