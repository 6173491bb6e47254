package system

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/app/httpapi"
)

// AuthConfig says how the HTTP API authenticates its callers (ADR 0022).
// The zero value is the embedded issuer with its key in the data
// directory; there is no setting without authentication.
type AuthConfig struct {
	// OIDC, when its Issuer or JWKSURL is set, verifies the tokens of that
	// external OpenID Connect issuer instead of the embedded issuer's.
	OIDC auth.OIDCConfig
	// Audience is the audience tokens must name; default
	// auth.DefaultAudience. It is also the embedded issuer's.
	Audience string
	// SigningKey is the embedded issuer's Ed25519 key (PKCS #8 PEM, mode
	// 0600), created when missing; default <DataDir>/auth/signing-key.pem.
	// API instances that share it accept each other's tokens.
	SigningKey string
	// CustomerTokenTTL is how long the token a kiosk gets for a customer
	// it registered is valid; default httpapi.DefaultCustomerTokenTTL.
	CustomerTokenTTL time.Duration
}

// external says whether an external issuer signs the tokens.
func (a AuthConfig) external() bool { return a.OIDC.Issuer != "" || a.OIDC.JWKSURL != "" }

// withAuthDefaults completes and checks the API's authentication settings.
func (c Config) withAuthDefaults() (Config, []error) {
	var errs []error
	if c.Auth.Audience == "" {
		c.Auth.Audience = auth.DefaultAudience
	}
	if c.Auth.SigningKey == "" {
		c.Auth.SigningKey = c.dir(auth.KeyFile)
	}
	if c.Auth.CustomerTokenTTL < 0 {
		errs = append(errs, errors.New("--auth-customer-token-ttl must be positive"))
	}
	if c.Auth.external() {
		c.Auth.OIDC.Audience = c.Auth.Audience
		if err := c.Auth.OIDC.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return c, errs
}

// startAuth prepares the API's token verifier: the external issuer's keys,
// fetched and kept fresh until ctx ends, or the embedded issuer's key,
// created on the first start.
func (s *System) startAuth(ctx context.Context) (auth.Verifier, httpapi.TokenIssuer, error) {
	a := s.cfg.Auth
	if a.external() {
		v, err := auth.NewOIDC(ctx, a.OIDC)
		if err != nil {
			return nil, nil, fmt.Errorf("the API's token issuer: %w (check --auth-issuer and --auth-jwks-url)", err)
		}
		s.log.Info("the API verifies tokens of an external issuer", "issuer", a.OIDC.Issuer, "jwks", a.OIDC.JWKSURL, "audience", a.Audience)
		return v, nil, nil
	}
	key, err := auth.LoadOrCreateKey(a.SigningKey)
	if err != nil {
		return nil, nil, fmt.Errorf("the API's signing key: %w (--auth-signing-key)", err)
	}
	s.issuer = auth.NewIssuer(key, auth.WithAudience(a.Audience))
	s.log.Info("the API verifies tokens of its embedded issuer (mallbots token prints one)", "key", a.SigningKey, "audience", a.Audience)
	return s.issuer, s.issuer, nil
}

// Issuer is the embedded token issuer; nil when an external issuer signs
// the API's tokens or the API does not run here.
func (s *System) Issuer() *auth.Issuer { return s.issuer }
