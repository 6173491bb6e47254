package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// OIDCConfig says how to verify tokens from an external OpenID Connect
// issuer.
type OIDCConfig struct {
	// Issuer is the issuer's URL: tokens must carry it as "iss", and its
	// discovery document (/.well-known/openid-configuration) names the
	// JWKS unless JWKSURL is set.
	Issuer string
	// JWKSURL is where the issuer publishes its keys; with it alone, any
	// issuer signing with those keys is accepted.
	JWKSURL string
	// Audience must be among the token's "aud". Default DefaultAudience.
	Audience string
	// Claims says where the role and the ids are (ClaimMap's defaults).
	Claims ClaimMap
	// HTTPClient fetches the discovery document and the keys (default: a
	// client with a 10 s timeout).
	HTTPClient *http.Client
	// Refresh is how often the keys are fetched again at most and at
	// least (min, max; defaults 5 min and 1 h, or the response's
	// Cache-Control within them).
	RefreshMin, RefreshMax time.Duration
}

// Validate reports every problem with the configuration.
func (c OIDCConfig) Validate() error {
	var errs []error
	if c.Issuer == "" && c.JWKSURL == "" {
		errs = append(errs, errors.New("--auth-issuer or --auth-jwks-url is needed to verify an external issuer's tokens"))
	}
	for _, u := range []string{c.Issuer, c.JWKSURL} {
		if u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			errs = append(errs, fmt.Errorf("%q is not an http(s) URL", u))
		}
	}
	return errors.Join(errs...)
}

// OIDC verifies tokens an external issuer signed with a key of its JWKS.
type OIDC struct {
	cfg   OIDCConfig
	cache *jwk.Cache
	keys  jwk.Set
	now   func() time.Time
}

// NewOIDC fetches the issuer's discovery document (unless JWKSURL is
// given) and its keys, and keeps the keys fresh until ctx ends.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.RefreshMin == 0 {
		cfg.RefreshMin = 5 * time.Minute
	}
	if cfg.RefreshMax == 0 {
		cfg.RefreshMax = time.Hour
	}
	cfg.Claims = cfg.Claims.withDefaults()
	if cfg.JWKSURL == "" {
		u, err := discover(ctx, cfg.HTTPClient, cfg.Issuer)
		if err != nil {
			return nil, err
		}
		cfg.JWKSURL = u
	}
	cache, err := jwk.NewCache(ctx, httprc.NewClient(httprc.WithHTTPClient(cfg.HTTPClient)))
	if err != nil {
		return nil, err
	}
	if err := cache.Register(ctx, cfg.JWKSURL, jwk.WithMinInterval(cfg.RefreshMin), jwk.WithMaxInterval(cfg.RefreshMax)); err != nil {
		return nil, fmt.Errorf("fetch the issuer's keys from %s: %w", cfg.JWKSURL, err)
	}
	keys, err := cache.CachedSet(cfg.JWKSURL)
	if err != nil {
		return nil, err
	}
	return &OIDC{cfg: cfg, cache: cache, keys: keys, now: time.Now}, nil
}

// discover reads the JWKS URL from the issuer's discovery document, and
// checks that the document is the issuer's.
func discover(ctx context.Context, client *http.Client, issuer string) (string, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("OpenID Connect discovery at %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("OpenID Connect discovery at %s answered %s", u, resp.Status)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return "", fmt.Errorf("OpenID Connect discovery at %s: %w", u, err)
	}
	if doc.Issuer != issuer {
		return "", fmt.Errorf("OpenID Connect discovery at %s names the issuer %q, not %q (--auth-issuer must be exactly the issuer's \"iss\")", u, doc.Issuer, issuer)
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("OpenID Connect discovery at %s names no jwks_uri: give --auth-jwks-url", u)
	}
	return doc.JWKSURI, nil
}

// Verify checks a token against the issuer's keys (matched by "kid"; a
// key without "alg" admits only the algorithms of its type, never "none"
// nor an HMAC), the issuer, the audience and the times, and maps its
// claims.
func (o *OIDC) Verify(ctx context.Context, token string) (Principal, error) {
	tok, err := parse(ctx, token, o.cfg.Issuer, o.cfg.Audience, o.now,
		jwt.WithKeySet(o.keys, jws.WithInferAlgorithmFromKey(true)))
	if err != nil {
		return Principal{}, err
	}
	return o.cfg.Claims.principal(tok)
}
