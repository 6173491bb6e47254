package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/app/system"
	"github.com/mallbots/mallbots/tools/sample"
)

// authFlags are how `mallbots run` authenticates the HTTP API's callers
// (docs/adr/0022-api-authentication.md). Without --auth-issuer or
// --auth-jwks-url the API is its own issuer; no flag turns authentication
// off.
type authFlags struct {
	AuthIssuer           string        `name:"auth-issuer" help:"External OpenID Connect issuer URL: tokens must carry it as iss, and its /.well-known/openid-configuration names the keys (replaces the embedded issuer)." env:"MALLBOTS_AUTH_ISSUER"`
	AuthJWKSURL          string        `name:"auth-jwks-url" help:"External issuer's JWKS URL (instead of discovery; with it alone, iss is not checked)." env:"MALLBOTS_AUTH_JWKS_URL"`
	AuthAudience         string        `name:"auth-audience" help:"The audience (aud) every token must name." default:"mallbots" env:"MALLBOTS_AUTH_AUDIENCE"`
	AuthRoleClaim        string        `name:"auth-role-claim" help:"Claim of an external issuer's token that carries the role (a string, or a list of which exactly one names a role)." default:"mallbots_role" env:"MALLBOTS_AUTH_ROLE_CLAIM"`
	AuthCustomerClaim    string        `name:"auth-customer-claim" help:"Claim that carries a customer's id." default:"mallbots_customer" env:"MALLBOTS_AUTH_CUSTOMER_CLAIM"`
	AuthStoresClaim      string        `name:"auth-stores-claim" help:"Claim that carries a store manager's store ids." default:"mallbots_stores" env:"MALLBOTS_AUTH_STORES_CLAIM"`
	AuthRoleMap          string        `name:"auth-role-map" help:"Map the issuer's role values to ours: value=role,… (roles: customer, store_manager, kiosk, analyst, operator)." env:"MALLBOTS_AUTH_ROLE_MAP"`
	AuthSigningKey       string        `name:"auth-signing-key" help:"The embedded issuer's Ed25519 key file (PKCS #8 PEM, mode 0600), created when missing; API instances sharing it accept each other's tokens (default: DATA_DIR/auth/signing-key.pem)." env:"MALLBOTS_AUTH_SIGNING_KEY"`
	AuthCustomerTokenTTL time.Duration `name:"auth-customer-token-ttl" help:"How long the token a kiosk gets for a customer it registers is valid." default:"12h" env:"MALLBOTS_AUTH_CUSTOMER_TOKEN_TTL"`
}

func (a authFlags) authConfig() (system.AuthConfig, error) {
	roles, err := auth.ParseRoleMap(a.AuthRoleMap)
	if err != nil {
		return system.AuthConfig{}, fmt.Errorf("--auth-role-map: %w", err)
	}
	return system.AuthConfig{
		OIDC: auth.OIDCConfig{Issuer: a.AuthIssuer, JWKSURL: a.AuthJWKSURL,
			Claims: auth.ClaimMap{Role: a.AuthRoleClaim, Customer: a.AuthCustomerClaim, Stores: a.AuthStoresClaim, Roles: roles}},
		Audience: a.AuthAudience, SigningKey: a.AuthSigningKey, CustomerTokenTTL: a.AuthCustomerTokenTTL,
	}, nil
}

// tokenCmd prints a token of the embedded issuer.
type tokenCmd struct {
	Role           string        `help:"The token's role: ${enum}." enum:"customer,store_manager,kiosk,analyst,operator" required:""`
	Customer       string        `help:"The customer a customer token is bound to."`
	Store          []string      `help:"The stores a store_manager token is bound to (repeat, or separate with commas)."`
	TTL            time.Duration `name:"ttl" help:"How long the token is valid." default:"12h"`
	Subject        string        `help:"The token's subject (default: customer:ID or the role)."`
	DataDir        string        `help:"The data directory of the mallbots run whose key signs the token." default:".mallbots" env:"MALLBOTS_DATA_DIR"`
	AuthSigningKey string        `name:"auth-signing-key" help:"The key file, when run was given one (default: DATA_DIR/auth/signing-key.pem)." env:"MALLBOTS_AUTH_SIGNING_KEY"`
	AuthAudience   string        `name:"auth-audience" help:"The audience, as run was given it." default:"mallbots" env:"MALLBOTS_AUTH_AUDIENCE"`
}

func (c *tokenCmd) Run() error {
	tok, err := localToken(c.DataDir, c.AuthSigningKey, c.AuthAudience, auth.Principal{
		Subject: c.Subject, Role: auth.Role(c.Role), CustomerID: c.Customer, StoreIDs: c.Store}, c.TTL)
	if err != nil {
		return err
	}
	fmt.Println(tok)
	return nil
}

// localToken signs a token with the key of a data directory's embedded
// issuer; it never creates the key (a token of a new key is accepted by
// no running API).
func localToken(dataDir, keyFile, audience string, p auth.Principal, ttl time.Duration) (string, error) {
	if keyFile == "" {
		keyFile = filepath.Join(dataDir, auth.KeyFile)
	}
	key, err := auth.LoadKey(keyFile)
	if errors.Is(err, auth.ErrNoKey) {
		return "", fmt.Errorf("%w: `mallbots run --data-dir %s` creates it on its first start; or give the --data-dir (or --auth-signing-key) that run uses", err, dataDir)
	}
	if err != nil {
		return "", err
	}
	return auth.NewIssuer(key, auth.WithAudience(audience)).Issue(p, ttl)
}

// envAPIToken is the bearer token of the commands that call the API
// (load), when they are not to sign their own from the data directory.
const envAPIToken = "MALLBOTS_API_TOKEN"

// apiToken is $MALLBOTS_API_TOKEN (or the file $MALLBOTS_API_TOKEN_FILE
// names), else an operator token signed with the data directory's key.
func apiToken(dataDir string) (string, error) {
	tok, err := secret(envAPIToken)
	if err != nil || tok != "" {
		return tok, err
	}
	tok, err = localToken(dataDir, os.Getenv("MALLBOTS_AUTH_SIGNING_KEY"), auth.DefaultAudience, auth.Principal{Role: auth.Operator}, 24*time.Hour)
	if err != nil {
		return "", fmt.Errorf("the API needs a token: set %s, or run on the machine of the data directory: %w", envAPIToken, err)
	}
	return tok, nil
}

// runSample sends the sample traffic as the mall's operator and one of
// its kiosks, whose new customer then shops with the token it got. It
// returns the order's id.
func runSample(ctx context.Context, sys *system.System) (string, error) {
	iss := sys.Issuer()
	if iss == nil {
		return "", errors.New("the sample traffic signs its own tokens: it needs the embedded issuer, not --auth-issuer")
	}
	var toks sample.Tokens
	var err error
	if toks.Operator, err = iss.Issue(auth.Principal{Role: auth.Operator}, time.Hour); err != nil {
		return "", err
	}
	if toks.Kiosk, err = iss.Issue(auth.Principal{Role: auth.Kiosk}, time.Hour); err != nil {
		return "", err
	}
	return sample.Run(ctx, "http://"+sys.HTTPAddr(), toks, os.Stdout)
}
