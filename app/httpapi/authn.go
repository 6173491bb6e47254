package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/emitters"
)

// TokenIssuer signs tokens: the embedded issuer (auth.Issuer), with which a
// kiosk's registration of a customer answers the customer's token.
type TokenIssuer interface {
	Issue(p auth.Principal, ttl time.Duration) (string, error)
}

// DefaultCustomerTokenTTL is how long the token a kiosk gets for a new
// customer is valid unless Deps.CustomerTokenTTL says otherwise.
const DefaultCustomerTokenTTL = 12 * time.Hour

type principalKey struct{}

func principalOf(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(auth.Principal)
	return p, ok
}

// realm names the API in WWW-Authenticate.
const realm = `Bearer realm="mallbots"`

// isAPI says whether a path needs a token: every /api route, known or
// not (an unknown one is 404 only to a caller with a valid token).
func isAPI(path string) bool { return path == "/api" || strings.HasPrefix(path, "/api/") }

// authenticate requires a valid bearer token on every /api request
// (RFC 6750): none, another scheme, or a token the verifier refuses is 401
// with a WWW-Authenticate challenge; the principal goes into the request's
// context for the routes' guards, and as the issuer of the commands the
// request sends (emitters.WithIssuer). /healthz, /readyz and /metrics pass,
// and so does the AsyncAPI document (a contract).
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAPI(r.URL.Path) || r.URL.Path == asyncAPIPath {
			next.ServeHTTP(w, r)
			return
		}
		header := r.Header.Get("Authorization")
		scheme, token, _ := strings.Cut(header, " ")
		token = strings.TrimSpace(token)
		switch {
		case s.Auth == nil:
			unauthenticated(w, `, error="invalid_token", error_description="this instance has no token verifier"`,
				"this API instance was started without a token verifier; nothing is accepted")
			return
		case header == "" || !strings.EqualFold(scheme, "Bearer") || token == "":
			// RFC 6750 §3.1: no error code when the request has no token.
			unauthenticated(w, "", `a bearer token is required: Authorization: Bearer <token> (mallbots token --role ROLE prints one)`)
			return
		}
		p, err := s.Auth.Verify(r.Context(), token)
		if err != nil {
			desc := strings.TrimPrefix(err.Error(), auth.ErrInvalidToken.Error()+": ")
			if !errors.Is(err, auth.ErrInvalidToken) {
				// The verifier failed (e.g. the issuer's keys were not
				// fetched), not the token: still 401, and logged.
				s.Log.Warn("verifying a token failed", "err", err)
				desc = "the token could not be verified"
			}
			unauthenticated(w, `, error="invalid_token", error_description="`+quoteSafe(desc)+`"`, desc)
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		// Every command this request sends is issued by its caller, from
		// the token and never from the body (docs/adr/0023).
		ctx = emitters.WithIssuer(ctx, emitters.Issuer{Subject: p.Subject, Role: string(p.Role)})
		authed := r.WithContext(ctx)
		// The router names the route on the request it is given; the outer
		// middleware (observe, recoverPanics) read it from theirs, panic or
		// not.
		defer func() { r.Pattern = authed.Pattern }()
		next.ServeHTTP(w, authed)
	})
}

func unauthenticated(w http.ResponseWriter, params, message string) {
	w.Header().Set("WWW-Authenticate", realm+params)
	writeError(w, http.StatusUnauthorized, "unauthenticated", message)
}

// quoteSafe keeps what an RFC 6750 error_description may hold (printable
// ASCII but '"' and '\').
func quoteSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '\''
		}
		return r
	}, s)
}
