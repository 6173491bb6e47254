package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/mallbots/mallbots/app/auth"
)

func newIssuer(t *testing.T, opts ...auth.IssuerOption) *auth.Issuer {
	t.Helper()
	key, err := auth.LoadOrCreateKey(filepath.Join(t.TempDir(), auth.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewIssuer(key, opts...)
}

func issue(t *testing.T, i *auth.Issuer, p auth.Principal, ttl time.Duration) string {
	t.Helper()
	tok, err := i.Issue(p, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestATokenTheIssuerSignedNamesItsPrincipal(t *testing.T) {
	i := newIssuer(t)
	for _, p := range []auth.Principal{
		{Role: auth.Customer, CustomerID: "c-1"},
		{Role: auth.StoreManager, StoreIDs: []string{"s-1", "s-2"}},
		{Role: auth.Operator}, {Role: auth.Analyst}, {Role: auth.Kiosk},
	} {
		got, err := i.Verify(context.Background(), issue(t, i, p, time.Hour))
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		if got.Role != p.Role || got.CustomerID != p.CustomerID || strings.Join(got.StoreIDs, ",") != strings.Join(p.StoreIDs, ",") || got.Subject == "" {
			t.Fatalf("issued %+v, verified %+v", p, got)
		}
	}
}

func TestTheIssuerRefusesARoleWithoutItsBinding(t *testing.T) {
	i := newIssuer(t)
	for _, p := range []auth.Principal{{Role: auth.Customer}, {Role: auth.StoreManager}, {Role: "admin"}, {}} {
		if _, err := i.Issue(p, time.Hour); err == nil {
			t.Errorf("issued a token for %+v", p)
		}
	}
}

func b64(v any) string {
	raw, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// The refusals a verifier owes (RFC 8725): each is ErrInvalidToken.
func TestHostileTokensAreRefused(t *testing.T) {
	now := time.Now()
	i := newIssuer(t)
	other := newIssuer(t)
	otherAudience := newIssuer(t, auth.WithAudience("someone-else"))
	past := newIssuer(t, auth.WithClock(func() time.Time { return now.Add(-2 * time.Hour) }))
	future := newIssuer(t, auth.WithClock(func() time.Time { return now.Add(time.Hour) }))
	operator := auth.Principal{Role: auth.Operator}
	good := issue(t, i, operator, time.Hour)
	parts := strings.Split(good, ".")
	claims := map[string]any{"iss": auth.LocalIssuer, "aud": auth.DefaultAudience, "sub": "x", "exp": now.Add(time.Hour).Unix(), auth.ClaimRole: "operator"}

	// An HMAC token keyed with the issuer's public key: the classic
	// algorithm confusion.
	hs, err := jwt.NewBuilder().Issuer(auth.LocalIssuer).Audience([]string{auth.DefaultAudience}).Subject("x").
		Expiration(now.Add(time.Hour)).Claim(auth.ClaimRole, "operator").Build()
	if err != nil {
		t.Fatal(err)
	}
	hsSigned, err := jwt.Sign(hs, jwt.WithKey(jwa.HS256(), []byte("guessable")))
	if err != nil {
		t.Fatal(err)
	}
	// A forged role: the claims changed, the signature kept.
	forgedClaims := map[string]any{"iss": auth.LocalIssuer, "aud": auth.DefaultAudience, "sub": "customer:c", "exp": now.Add(time.Hour).Unix(), auth.ClaimRole: "operator"}

	cases := map[string]string{
		"empty":                 "",
		"malformed":             "not.a.jwt",
		"garbage":               "eyJ" + strings.Repeat("A", 40),
		"alg none":              b64(map[string]string{"alg": "none", "typ": "JWT"}) + "." + b64(claims) + ".",
		"alg none, signature":   b64(map[string]string{"alg": "none"}) + "." + b64(claims) + "." + parts[2],
		"HS256":                 string(hsSigned),
		"another key":           issue(t, other, operator, time.Hour),
		"another audience":      issue(t, otherAudience, operator, time.Hour),
		"expired":               issue(t, past, operator, time.Hour),
		"not valid yet":         issue(t, future, operator, time.Hour),
		"forged claims":         parts[0] + "." + b64(forgedClaims) + "." + parts[2],
		"no expiry":             parts[0] + "." + b64(map[string]any{"iss": auth.LocalIssuer, "aud": auth.DefaultAudience, "sub": "x", auth.ClaimRole: "operator"}) + "." + parts[2],
		"truncated signature":   good[:len(good)-4],
		"two tokens":            good + " " + good,
		"unsigned JSON payload": b64(claims),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := i.Verify(context.Background(), tok)
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("accepted as %+v (err %v)", p, err)
			}
		})
	}
	if _, err := i.Verify(context.Background(), good); err != nil {
		t.Fatalf("the good token: %v", err)
	}
}

func TestTheSigningKeyIsKeptPrivateAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), auth.KeyFile)
	k1, err := auth.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
	if dir, _ := os.Stat(filepath.Dir(path)); dir.Mode().Perm() != 0o700 {
		t.Fatalf("key directory mode %v, want 0700", dir.Mode().Perm())
	}
	k2, err := auth.LoadOrCreateKey(path)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("a second start made another key (%v)", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key was used: %v", err)
	}
	if _, err := auth.LoadKey(filepath.Join(t.TempDir(), "none.pem")); !errors.Is(err, auth.ErrNoKey) {
		t.Fatalf("a missing key: %v, want ErrNoKey", err)
	}
}

// oidcIssuer serves a discovery document and a JWKS with one ES256 key,
// as an external identity provider does.
type oidcIssuer struct {
	srv *httptest.Server
	key *ecdsa.PrivateKey
	kid string
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := &oidcIssuer{key: key, kid: "k1"}
	mux := http.NewServeMux()
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": o.srv.URL, "jwks_uri": o.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, _ *http.Request) {
		pub, err := jwk.PublicKeyOf(&key.PublicKey)
		if err != nil {
			t.Error(err)
			return
		}
		_ = pub.Set(jwk.KeyIDKey, o.kid) // no "alg": many issuers leave it out
		set := jwk.NewSet()
		_ = set.AddKey(pub)
		_ = json.NewEncoder(w).Encode(set)
	})
	return o
}

func (o *oidcIssuer) sign(t *testing.T, claims map[string]any, key any) string {
	t.Helper()
	b := jwt.NewBuilder().Issuer(o.srv.URL).Audience([]string{"mall-api"}).Subject("alice").Expiration(time.Now().Add(time.Hour))
	for k, v := range claims {
		b = b.Claim(k, v)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	jk, err := jwk.Import(key)
	if err != nil {
		t.Fatal(err)
	}
	_ = jk.Set(jwk.KeyIDKey, o.kid)
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256(), jk))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func TestAnExternalIssuersTokensAreMappedToRoles(t *testing.T) {
	o := newOIDCIssuer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: o.srv.URL, Audience: "mall-api",
		Claims: auth.ClaimMap{Role: "groups", Customer: "customer_id", Stores: "store_ids", Roles: map[string]auth.Role{"mall-admins": auth.Operator}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(ctx, o.sign(t, map[string]any{"groups": []string{"staff", "mall-admins"}}, o.key))
	if err != nil || p.Role != auth.Operator || p.Subject != "alice" {
		t.Fatalf("mapped group: %+v, %v", p, err)
	}
	p, err = v.Verify(ctx, o.sign(t, map[string]any{"groups": "customer", "customer_id": "c-9"}, o.key))
	if err != nil || p.Role != auth.Customer || p.CustomerID != "c-9" {
		t.Fatalf("customer: %+v, %v", p, err)
	}
	p, err = v.Verify(ctx, o.sign(t, map[string]any{"groups": "store_manager", "store_ids": []string{"s-1"}}, o.key))
	if err != nil || p.Role != auth.StoreManager || !p.ManagesStore("s-1") {
		t.Fatalf("store manager: %+v, %v", p, err)
	}

	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	refused := map[string]string{
		"no role":          o.sign(t, map[string]any{"groups": []string{"staff"}}, o.key),
		"two roles":        o.sign(t, map[string]any{"groups": []string{"analyst", "mall-admins"}}, o.key),
		"customer, no id":  o.sign(t, map[string]any{"groups": "customer"}, o.key),
		"another key":      o.sign(t, map[string]any{"groups": "mall-admins"}, stranger),
		"our local issuer": issue(t, newIssuer(t, auth.WithAudience("mall-api")), auth.Principal{Role: auth.Operator}, time.Hour),
		"another audience": issue(t, newIssuer(t), auth.Principal{Role: auth.Operator}, time.Hour),
		"alg none":         b64(map[string]string{"alg": "none", "kid": o.kid}) + "." + b64(map[string]any{"iss": o.srv.URL, "aud": "mall-api", "sub": "x", "exp": time.Now().Add(time.Hour).Unix(), "groups": "operator"}) + ".",
		"malformed":        "a.b.c",
	}
	for name, tok := range refused {
		if p, err := v.Verify(ctx, tok); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("%s: accepted as %+v (%v)", name, p, err)
		}
	}
}

func TestDiscoveryRefusesADocumentOfAnotherIssuer(t *testing.T) {
	o := newOIDCIssuer(t)
	_, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{Issuer: o.srv.URL + "/"})
	if err == nil || !strings.Contains(err.Error(), "names the issuer") {
		t.Fatalf("want a refusal naming the issuer mismatch, got %v", err)
	}
}

func TestRoleMappingsAreParsedWithEveryProblemReported(t *testing.T) {
	m, err := auth.ParseRoleMap("mall-admin=operator, bi=analyst")
	if err != nil || m["mall-admin"] != auth.Operator || m["bi"] != auth.Analyst {
		t.Fatalf("%v %v", m, err)
	}
	_, err = auth.ParseRoleMap("x=root,novalue")
	if err == nil || !strings.Contains(err.Error(), "root") || !strings.Contains(err.Error(), "novalue") {
		t.Fatalf("want both problems, got %v", err)
	}
}
