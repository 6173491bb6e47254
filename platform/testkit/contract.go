package testkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Contract checks an API client's traffic against an OpenAPI document
// (the API's, GET /api/openapi.json): set its Transport as an API's
// Transport and every /api request the client sends, and every answer it
// gets, errors included, is validated. A violation fails the call with the
// route and what broke the contract.
//
// What holds:
//   - a request the contract describes, answered with a status, headers and
//     a body the contract lists for that operation (an undocumented status
//     is a violation);
//   - a request the contract refuses (a missing token, a malformed body, a
//     field it does not know) is refused by the server too, with a 4xx that
//     the operation documents: a server that accepts what its contract
//     refuses has a contract that says less than it does;
//   - a path the contract does not have is answered 401 or 404.
//
// Streams (text/event-stream) are checked by their status and headers only.
type Contract struct {
	doc    *openapi3.T
	router routers.Router

	mu        sync.Mutex
	exercised map[string]int
}

// textMedia are the text answers a contract may document besides JSON
// (the API's viewer): their bodies are checked as strings.
var textMedia = sync.OnceFunc(func() {
	for _, media := range []string{"text/html", "text/css", "text/javascript"} {
		openapi3filter.RegisterBodyDecoder(media, openapi3filter.PlainBodyDecoder)
	}
})

// NewContract reads and validates an OpenAPI document.
func NewContract(document []byte) (*Contract, error) {
	textMedia()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("the OpenAPI document does not load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is not valid: %w", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("the OpenAPI document's paths cannot be routed: %w", err)
	}
	return &Contract{doc: doc, router: router, exercised: map[string]int{}}, nil
}

// Transport is next (nil: http.DefaultTransport) checking every exchange
// against the contract.
func (c *Contract) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return checked{c, next}
}

// Operations are the contract's operations ("GET /api/stores/{id}") with
// the number of checked exchanges of each, sorted.
func (c *Contract) Operations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			op := method + " " + path
			out = append(out, fmt.Sprintf("%s %d", op, c.exercised[op]))
		}
	}
	sort.Strings(out)
	return out
}

type checked struct {
	c    *Contract
	next http.RoundTripper
}

func (t checked) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return t.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if err := t.c.check(req, body, resp); err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// check validates one exchange; the answer's body is read and put back,
// but for a stream's.
func (c *Contract) check(req *http.Request, body []byte, resp *http.Response) error {
	// A copy of the request, its URL as the server saw it, for the
	// validators to read.
	in := req.Clone(context.Background())
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.URL.Scheme, in.URL.Host = "", ""
	route, params, err := c.router.FindRoute(in)
	if err != nil {
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusUnauthorized {
			return nil
		}
		return fmt.Errorf("contract: %s %s is not in the contract (%v), yet the server answered %d", req.Method, req.URL.Path, err, resp.StatusCode)
	}
	name := req.Method + " " + route.Path
	c.mu.Lock()
	c.exercised[name]++
	c.mu.Unlock()

	stream := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
	var answer []byte
	if !stream {
		if answer, err = io.ReadAll(resp.Body); err != nil {
			return fmt.Errorf("contract: %s: reading the answer: %w", name, err)
		}
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(answer))
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		ExcludeResponseBody:   stream,
		MultiError:            true,
		AuthenticationFunc:    bearer,
	}
	reqIn := &openapi3filter.RequestValidationInput{Request: in, PathParams: params, Route: route, Options: opts}
	ctx := context.Background()
	reqErr := openapi3filter.ValidateRequest(ctx, reqIn)
	respIn := &openapi3filter.ResponseValidationInput{RequestValidationInput: reqIn, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	respIn.SetBodyBytes(answer)
	if err := openapi3filter.ValidateResponse(ctx, respIn); err != nil {
		return fmt.Errorf("contract: %s: the answer %d breaks the contract: %v\nanswer: %s", name, resp.StatusCode, err, clip(answer))
	}
	if reqErr != nil && resp.StatusCode < 400 {
		return fmt.Errorf("contract: %s: the contract refuses the request, yet the server answered %d: %v\nrequest body: %s", name, resp.StatusCode, reqErr, clip(body))
	}
	return nil
}

// bearer is the check of the contract's security scheme: the token's
// validity is the server's business, its presence the contract's.
func bearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme == nil || in.SecurityScheme.Type != "http" || !strings.EqualFold(in.SecurityScheme.Scheme, "bearer") {
		return fmt.Errorf("the contract names a security scheme the checker does not know: %s", in.SecuritySchemeName)
	}
	scheme, token, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
