// Package auth authenticates the callers of the HTTP API: it verifies
// bearer tokens (JWTs) and turns their claims into a Principal, a role
// bound to a customer or to stores. Tokens come from the embedded issuer,
// an Ed25519 key kept in the data directory (local.go), or from an external
// OpenID Connect issuer whose keys are fetched from its JWKS (oidc.go).
// Signatures and claims are checked by github.com/lestrrat-go/jwx/v3; this
// package holds no cryptography of its own. What each role may do is
// app/httpapi's rule table (docs/adr/0022-api-authentication.md).
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Role is what a principal is allowed to do (app/httpapi's rule table).
type Role string

// The roles. A customer is bound to one customer id, a store manager to
// store ids; the others are bound to nothing.
const (
	Customer     Role = "customer"
	StoreManager Role = "store_manager"
	Operator     Role = "operator"
	Analyst      Role = "analyst"
	// Kiosk is the service role of the mall's kiosks: it signs new
	// customers in (POST /api/customers answers their token) and reads
	// the catalogue.
	Kiosk Role = "kiosk"
)

// Roles lists every role, in the order the docs show them.
func Roles() []Role { return []Role{Customer, StoreManager, Kiosk, Analyst, Operator} }

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q: want one of %s", s, roleNames())
}

func roleNames() string {
	names := make([]string, 0, len(Roles()))
	for _, r := range Roles() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// Principal is who sent a request: the token's subject and role, and what
// the role is bound to.
type Principal struct {
	Subject string
	Role    Role
	// CustomerID binds a customer to their own records.
	CustomerID string
	// StoreIDs bind a store manager to their stores.
	StoreIDs []string
}

// ManagesStore says whether a store manager's token names the store.
func (p Principal) ManagesStore(id string) bool { return slices.Contains(p.StoreIDs, id) }

// Validate reports a principal whose role lacks its binding.
func (p Principal) Validate() error {
	var errs []error
	if p.Subject == "" {
		errs = append(errs, errors.New("the token has no subject"))
	}
	switch p.Role {
	case Customer:
		if p.CustomerID == "" {
			errs = append(errs, errors.New("a customer's token must name the customer"))
		}
	case StoreManager:
		if len(p.StoreIDs) == 0 {
			errs = append(errs, errors.New("a store manager's token must name their stores"))
		}
	case "":
		errs = append(errs, errors.New("the token names no role"))
	default:
		if _, err := ParseRole(string(p.Role)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Verifier checks a bearer token and says who presented it.
type Verifier interface {
	// Verify returns the token's principal, or an error wrapping
	// ErrInvalidToken that says what is wrong with it.
	Verify(ctx context.Context, token string) (Principal, error)
}

// ErrInvalidToken is wrapped by every refusal of a token: malformed, not
// signed by a trusted key, expired, not yet valid, for another audience or
// issuer, or without a role.
var ErrInvalidToken = errors.New("invalid token")

// The claims the embedded issuer writes, and the defaults an external
// issuer's tokens are read with (ClaimMap).
const (
	ClaimRole     = "mallbots_role"
	ClaimCustomer = "mallbots_customer"
	ClaimStores   = "mallbots_stores"
)

// ClaimMap says which claims of a token carry the role, the customer id
// and the store ids, and how an issuer's role names map to ours.
type ClaimMap struct {
	// Role names the claim with the role: a string, or a list of strings
	// of which exactly one must name a role (others are ignored).
	// Default ClaimRole.
	Role string
	// Customer names the claim with a customer's id. Default ClaimCustomer.
	Customer string
	// Stores names the claim with a store manager's store ids (a list, or
	// one string). Default ClaimStores.
	Stores string
	// Roles maps the issuer's role values to ours (e.g. "mall-admin" →
	// operator); a value not in the map is taken as it is.
	Roles map[string]Role
}

func (m ClaimMap) withDefaults() ClaimMap {
	if m.Role == "" {
		m.Role = ClaimRole
	}
	if m.Customer == "" {
		m.Customer = ClaimCustomer
	}
	if m.Stores == "" {
		m.Stores = ClaimStores
	}
	return m
}

// ParseRoleMap reads "theirs=ours,…" (e.g. "mall-admin=operator").
func ParseRoleMap(s string) (map[string]Role, error) {
	out := map[string]Role{}
	var errs []error
	for _, pair := range strings.Split(s, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		theirs, ours, ok := strings.Cut(pair, "=")
		if !ok || theirs == "" {
			errs = append(errs, fmt.Errorf("role mapping %q: want issuer-value=role", pair))
			continue
		}
		r, err := ParseRole(ours)
		if err != nil {
			errs = append(errs, fmt.Errorf("role mapping %q: %w", pair, err))
			continue
		}
		out[theirs] = r
	}
	return out, errors.Join(errs...)
}

// principal maps a verified token's claims.
func (m ClaimMap) principal(tok jwt.Token) (Principal, error) {
	var p Principal
	p.Subject, _ = tok.Subject()
	roles := m.strings(tok, m.Role)
	var found []Role
	for _, v := range roles {
		r, ok := m.Roles[v]
		if !ok {
			if parsed, err := ParseRole(v); err == nil {
				r, ok = parsed, true
			}
		}
		if ok && !slices.Contains(found, r) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return p, fmt.Errorf("%w: claim %q names no role (%s)", ErrInvalidToken, m.Role, roleNames())
	case 1:
		p.Role = found[0]
	default:
		return p, fmt.Errorf("%w: claim %q names several roles %v: a token carries one", ErrInvalidToken, m.Role, found)
	}
	if c := m.strings(tok, m.Customer); len(c) == 1 {
		p.CustomerID = c[0]
	}
	p.StoreIDs = m.strings(tok, m.Stores)
	if err := p.Validate(); err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return p, nil
}

// strings reads a claim that is a string or a list of strings.
func (m ClaimMap) strings(tok jwt.Token, name string) []string {
	var one string
	if err := tok.Get(name, &one); err == nil {
		return []string{one}
	}
	var many []any
	if err := tok.Get(name, &many); err != nil {
		return nil
	}
	out := make([]string, 0, len(many))
	for _, v := range many {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parse verifies a token with the given key options and checks its
// claims: exp required and in the future, nbf and iat not in the future
// (a minute's skew), the audience and the issuer.
func parse(ctx context.Context, token, issuer, audience string, now func() time.Time, key jwt.ParseOption) (jwt.Token, error) {
	opts := []jwt.ParseOption{key, jwt.WithValidate(true), jwt.WithContext(ctx), jwt.WithAudience(audience),
		jwt.WithRequiredClaim("exp"), jwt.WithAcceptableSkew(time.Minute), jwt.WithClock(jwt.ClockFunc(now))}
	if issuer != "" {
		opts = append(opts, jwt.WithIssuer(issuer))
	}
	tok, err := jwt.ParseString(token, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidToken, describe(err))
	}
	return tok, nil
}

// describe says what is wrong with a refused token, in the words an
// RFC 6750 error_description carries; the details stay in the log.
func describe(err error) string {
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		return "the token has expired"
	case errors.Is(err, jwt.TokenNotYetValidError()), errors.Is(err, jwt.InvalidIssuedAtError()):
		return "the token is not valid yet"
	case errors.Is(err, jwt.InvalidAudienceError()):
		return "the token is not for this audience"
	case errors.Is(err, jwt.InvalidIssuerError()):
		return "the token is from another issuer"
	case errors.Is(err, jwt.MissingRequiredClaimError()):
		return "the token has no expiry"
	case errors.Is(err, jws.VerifyError()), errors.Is(err, jws.VerificationError()):
		return "the token's signature does not verify with a trusted key"
	}
	return "the token is malformed or not signed by a trusted key"
}
