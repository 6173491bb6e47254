package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// KeyFile is where the embedded issuer keeps its signing key, under the
// data directory.
const KeyFile = "auth/signing-key.pem"

// LocalIssuer is the issuer name the embedded issuer writes into tokens.
const LocalIssuer = "mallbots"

// DefaultAudience is the audience tokens are issued for and checked
// against unless configured otherwise.
const DefaultAudience = "mallbots"

// ErrNoKey is returned by LoadKey when the key file does not exist.
var ErrNoKey = errors.New("no signing key")

// LoadOrCreateKey reads the Ed25519 signing key at path (PKCS #8 PEM), or
// generates one and writes it there (mode 0600, its directory 0700).
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	key, err := LoadKey(path)
	if !errors.Is(err, ErrNoKey) {
		return key, err
	}
	_, key, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the signing key's directory: %w", err)
	}
	// O_EXCL: two processes starting on one data directory keep one key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("write the signing key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, fmt.Errorf("write the signing key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write the signing key %s: %w", path, err)
	}
	return key, nil
}

// LoadKey reads the Ed25519 signing key at path; ErrNoKey when there is
// none. A key file that others may read is refused: whoever reads it can
// sign any token.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoKey, path)
	}
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("the signing key %s is readable by others (mode %v): chmod 600 it", path, info.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("the signing key %s is not a PKCS #8 PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the signing key %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the signing key %s is a %T, want Ed25519", path, k)
	}
	return key, nil
}

// Issuer is the embedded issuer: it signs tokens with its Ed25519 key and
// verifies its own.
type Issuer struct {
	key      ed25519.PrivateKey
	audience string
	now      func() time.Time
}

// IssuerOption configures an Issuer.
type IssuerOption func(*Issuer)

// WithAudience sets the audience tokens are issued for and checked against
// (default DefaultAudience).
func WithAudience(aud string) IssuerOption { return func(i *Issuer) { i.audience = aud } }

// WithClock sets the issuer's clock (default time.Now).
func WithClock(now func() time.Time) IssuerOption { return func(i *Issuer) { i.now = now } }

// NewIssuer is the embedded issuer with key.
func NewIssuer(key ed25519.PrivateKey, opts ...IssuerOption) *Issuer {
	i := &Issuer{key: key, audience: DefaultAudience, now: time.Now}
	for _, o := range opts {
		o(i)
	}
	return i
}

// Issue signs a token for p valid for ttl. The subject defaults to the
// customer ("customer:<id>") or the role.
func (i *Issuer) Issue(p Principal, ttl time.Duration) (string, error) {
	if p.Subject == "" {
		p.Subject = string(p.Role)
		if p.CustomerID != "" {
			p.Subject = "customer:" + p.CustomerID
		}
	}
	if err := p.Validate(); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", errors.New("a token's lifetime must be positive")
	}
	now := i.now().Truncate(time.Second)
	b := jwt.NewBuilder().Issuer(LocalIssuer).Audience([]string{i.audience}).Subject(p.Subject).
		IssuedAt(now).NotBefore(now).Expiration(now.Add(ttl)).JwtID(uuid.NewString()).
		Claim(ClaimRole, string(p.Role))
	if p.CustomerID != "" {
		b = b.Claim(ClaimCustomer, p.CustomerID)
	}
	if len(p.StoreIDs) > 0 {
		b = b.Claim(ClaimStores, p.StoreIDs)
	}
	tok, err := b.Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), i.key))
	if err != nil {
		return "", err
	}
	return string(signed), nil
}

// Verify checks a token the embedded issuer signed: EdDSA with its key
// only (the algorithm comes from the key, never from the token's header,
// so "alg: none" and other keys are refused), issuer, audience and times.
func (i *Issuer) Verify(ctx context.Context, token string) (Principal, error) {
	pub := i.key.Public()
	tok, err := parse(ctx, token, LocalIssuer, i.audience, i.now, jwt.WithKey(jwa.EdDSA(), pub))
	if err != nil {
		return Principal{}, err
	}
	return ClaimMap{}.withDefaults().principal(tok)
}
