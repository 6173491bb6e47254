package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/processors/aggregate"
)

// The API's contract, OpenAPI 3.1, served at GET /api/openapi.json without
// a token. It is built from Go declarations, never written by hand: the
// operations table (contract.go) names each route's body, answer and
// rejections, the schemas come from the types the handlers encode and
// decode (openapi_schema.go), and who may call a route from the access
// rules (access.go). Tests keep its routes equal to the registered ones
// and validate the end-to-end suite's requests and answers against it
// (docs/adr/0025-openapi-contract.md).

// contractPath is where the contract is served.
const contractPath = "/api/openapi.json"

// operation is one route of the contract.
type operation struct {
	route   string // as its access rule names it: "GET /api/stores/{id}"
	tag     string
	summary string
	about   string // more, in Markdown; may be ""
	body    any    // the request body's type (a zero value), nil for none
	answer  any    // the success answer's type, nil for a stream
	created bool   // a create: 201 instead of 200
	command bool   // sends a command: Idempotency-Key, If-Match, 202, 409, 422
	read    bool   // an aggregate read: ?minVersion
	stream  string // the event a text/event-stream answer sends
	data    any    // the type of that event's data
	query   []param
	rejects []*aggregate.Rejection // the domain's refusals, by kind
	errs    []apiErr               // other error answers of the route
	public  bool                   // no token needed
}

type param struct {
	name, about string
	schema      object
}

// apiErr is an error answer the API gives itself.
type apiErr struct {
	status        int
	code, message string
}

// Errors the API answers on its own, before or around a command.
var (
	errBadRequest   = apiErr{400, "bad_request", "the request is malformed: the message names the problem (a body, a header or a parameter)"}
	errUnauth       = apiErr{401, "unauthenticated", "no bearer token, or one that is not valid (see WWW-Authenticate)"}
	errForbidden    = apiErr{403, "forbidden", "the token's role may not call this route, or not on this resource"}
	errTooLarge     = apiErr{413, "body_too_large", "the request body exceeds 1 MiB"}
	errMediaType    = apiErr{415, "unsupported_media_type", "the body is not sent as Content-Type: application/json"}
	errKeyReused    = apiErr{422, "idempotency_key_reused", "the Idempotency-Key was used with a different request"}
	errInternal     = apiErr{500, "internal", "the server failed while handling the request, and logged it"}
	errUnavailable  = apiErr{503, "unavailable", "Kafka (or ClickHouse, for the reads of it) could not be reached, or this instance does not serve it: retry"}
	errVersionClash = apiErr{409, aggregate.ErrVersionConflict.Code, aggregate.ErrVersionConflict.Message}
)

// OpenAPI returns the contract, as GET /api/openapi.json serves it.
func OpenAPI() []byte {
	contractOnce.Do(func() {
		var err error
		contractJSON, err = json.Marshal(document(operations()))
		if err != nil {
			panic("httpapi: the OpenAPI document cannot be encoded: " + err.Error())
		}
	})
	return contractJSON
}

var (
	contractOnce sync.Once
	contractJSON []byte
)

// PublicRoutes are the /api routes that need no token: the contracts
// (OpenAPI, AsyncAPI) and the viewer.
func PublicRoutes() []string {
	var out []string
	for _, op := range operations() {
		if op.public {
			out = append(out, op.route)
		}
	}
	return out
}

// isPublic says whether a request is for a route of PublicRoutes.
func isPublic(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	return p == contractPath || p == asyncAPIPath || p == docsPath || strings.HasPrefix(p, docsPath+"/")
}

func (s *server) contractRoutes(raw *http.ServeMux) {
	raw.HandleFunc("GET "+contractPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Access-Control-Allow-Origin", "*") // a contract is public: let tools elsewhere read it
		_, _ = w.Write(OpenAPI())
	})
	s.docsRoutes(raw)
}

func document(ops []operation) object {
	sc := newSchemas()
	paths := object{}
	for _, op := range ops {
		method, path, _ := strings.Cut(op.route, " ")
		item, _ := paths[path].(object)
		if item == nil {
			item = object{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = op.describe(sc, path)
	}
	sc.components["Error"] = object{
		"type": "object", "required": []string{"code", "message"}, "additionalProperties": false,
		"description": "Every error answer: a stable code and a message for people (docs/domain.md, HTTP API).",
		"properties":  object{"code": object{"type": "string"}, "message": object{"type": "string"}},
	}
	return object{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info": object{
			"title":   "MallBots HTTP API",
			"version": contractVersion,
			"summary": "Commands in, results and aggregates out, for the MallBots event-sourced mall.",
			"description": "Every /api route needs `Authorization: Bearer <token>`, a JWT naming a role " +
				"(customer, store_manager, kiosk, analyst, operator); each operation's `x-roles` says which roles may call it and on what " +
				"(`yes`, `own`: a customer's own resources, `own stores`: a store manager's stores), as the API enforces it " +
				"(docs/domain.md, Who may do what). A write sends one command and answers once its result is known; 202 when it " +
				"is not known in time. Money is a decimal number in currency units. Every error is `{code, message}`.",
		},
		"servers": []any{object{"url": "/", "description": "this instance"}},
		"tags":    tags(ops),
		"paths":   paths,
		"components": object{
			"schemas": sc.components,
			"securitySchemes": object{"bearer": object{
				"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
				"description": "A JWT from the embedded issuer (`mallbots token --role ROLE`) or the deployment's OpenID Connect issuer (docs/adr/0022-api-authentication.md).",
			}},
		},
		"security": []any{object{"bearer": []any{}}},
	}
}

// contractVersion is the contract's version: raise it with a change of the
// contract.
const contractVersion = "1.0.0"

func tags(ops []operation) []any {
	var out []any
	seen := map[string]bool{}
	for _, op := range ops {
		if !seen[op.tag] {
			seen[op.tag] = true
			out = append(out, object{"name": op.tag})
		}
	}
	return out
}

// describe is the operation object of op.
func (op operation) describe(sc *schemaSet, path string) object {
	o := object{
		"operationId": operationID(op.route),
		"tags":        []string{op.tag},
		"summary":     op.summary,
	}
	about := op.about
	var params []any
	for _, name := range pathParams(path) {
		params = append(params, object{"name": name, "in": "path", "required": true, "schema": object{"type": "string"}})
	}
	if op.read {
		params = append(params, object{"name": "minVersion", "in": "query",
			"description": "Wait (up to the request timeout) until the aggregate reaches this version: read your own writes.",
			"schema":      object{"type": "integer", "minimum": 0}})
	}
	for _, p := range op.query {
		params = append(params, object{"name": p.name, "in": "query", "description": p.about, "schema": p.schema})
	}
	if op.command {
		params = append(params,
			object{"name": idempotencyHeader, "in": "header",
				"description": "Binds the key to this request and makes it the command id: the same request again is answered with the same result and applied once; another request with the key is 422 (ADR 0015). A create without `id` takes its id from the key.",
				"schema":      object{"type": "string", "minLength": 1, "maxLength": maxKeyLength, "pattern": "^[\\x20-\\x7e]+$"}},
			object{"name": "If-Match", "in": "header",
				"description": "The aggregate version the command expects; another version is 409 `version_conflict`.",
				"schema":      object{"type": "integer", "minimum": 0}})
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if op.body != nil {
		o["requestBody"] = object{"required": true, "content": object{
			"application/json": object{"schema": sc.of(reflect.TypeOf(op.body), true)},
		}}
	}
	responses := object{}
	switch {
	case op.stream != "":
		responses["200"] = object{
			"description": "A stream of server-sent events: `" + op.stream + "` with the JSON of `x-event-data` whenever it changes (the first at once), `error` with an Error when a read fails (the stream goes on), and a `: ping` comment every 15 s. It ends after 30 minutes; reconnect.",
			"headers":     object{"Cache-Control": object{"schema": object{"type": "string", "const": "no-store"}}},
			"content": object{"text/event-stream": object{
				"schema":       object{"type": "string"},
				"x-event":      op.stream,
				"x-event-data": sc.of(reflect.TypeOf(op.data), false),
			}},
		}
	case op.answer != nil:
		status, what := "200", "OK"
		if op.created {
			status, what = "201", "Created"
		}
		var media object
		if raw, ok := op.answer.(rawAnswer); ok {
			schema := object{"type": "string"}
			if raw.media == "application/json" {
				schema = object{"type": "object"}
			}
			media = object{raw.media: object{"schema": schema}}
		} else {
			media = object{"application/json": object{"schema": sc.of(reflect.TypeOf(op.answer), false)}}
		}
		responses[status] = object{"description": what, "content": media}
	}
	if op.command {
		responses["202"] = object{
			"description": "The result is not known within the request timeout, or this instance's view has not caught up: the command is in Kafka and will be applied; retry with the same Idempotency-Key to learn its result.",
			"content": object{"application/json": object{"schema": object{
				"type": "object", "required": []string{"commandId"}, "additionalProperties": false,
				"properties": object{"commandId": object{"type": "string"}},
			}}},
		}
	}
	for status, errs := range op.errorAnswers() {
		responses[fmt.Sprint(status)] = errorResponse(status, errs)
	}
	o["responses"] = responses
	if op.public {
		o["security"] = []any{}
	} else if rule, ok := ruleFor(op.route); ok {
		roles, line := rolesOf(rule)
		o["x-roles"] = roles
		about = strings.TrimSpace(about + "\n\n" + line)
	}
	if about != "" {
		o["description"] = about
	}
	return o
}

// rawAnswer is an answer that is not JSON (the viewer's files).
type rawAnswer struct{ media string }

// errorAnswers are op's error answers by status.
func (op operation) errorAnswers() map[int][]apiErr {
	out := map[int][]apiErr{}
	add := func(e apiErr) {
		if !slices.Contains(out[e.status], e) {
			out[e.status] = append(out[e.status], e)
		}
	}
	if !op.public {
		add(errUnauth)
		if rule, ok := ruleFor(op.route); ok && mayForbid(rule) {
			add(errForbidden)
		}
	}
	if op.read {
		add(apiErr{400, errBadRequest.code, "minVersion is not a non-negative integer"})
	}
	if op.command {
		add(apiErr{400, errBadRequest.code, "If-Match or Idempotency-Key is malformed"})
		add(errVersionClash)
		add(errKeyReused)
		add(errUnavailable)
	}
	if op.body != nil {
		add(apiErr{400, errBadRequest.code, "the body is not one JSON object of the schema (the message names the field)"})
		add(errTooLarge)
		add(errMediaType)
	}
	for _, r := range op.rejects {
		add(apiErr{statusOf(string(r.Kind)), r.Code, r.Message})
	}
	for _, e := range op.errs {
		add(e)
	}
	if !op.public {
		add(errInternal)
	}
	return out
}

// mayForbid says whether a rule answers 403 to anyone: a role it does not
// grant, a store it does not manage, or a body naming another customer.
func mayForbid(r Rule) bool {
	for _, role := range auth.Roles() {
		if a := r.Access(role); a == Denied || a == OwnStores {
			return true
		}
	}
	return r.owner == customerInBody
}

func errorResponse(status int, errs []apiErr) object {
	codes := []any{}
	var lines []string
	for _, e := range errs {
		if !slices.Contains(codes, any(e.code)) {
			codes = append(codes, e.code)
		}
		lines = append(lines, fmt.Sprintf("- `%s`: %s", e.code, e.message))
	}
	o := object{
		"description": http.StatusText(status) + ":\n\n" + strings.Join(lines, "\n"),
		"content": object{"application/json": object{"schema": object{
			"allOf": []any{ref("Error"), object{"properties": object{"code": object{"enum": codes}}}},
		}}},
	}
	if status == http.StatusUnauthorized {
		o["headers"] = object{"WWW-Authenticate": object{
			"description": `Bearer realm="mallbots", with error="invalid_token" and a description when a token was sent (RFC 6750).`,
			"required":    true, "schema": object{"type": "string"},
		}}
	}
	return o
}

// rolesOf is a rule as x-roles ({role: access} for the roles it lets in)
// and as a line of the description.
func rolesOf(r Rule) (object, string) {
	roles := object{}
	var parts []string
	for _, role := range auth.Roles() {
		a := r.Access(role)
		if a == Denied {
			continue
		}
		roles[string(role)] = a.String()
		part := string(role)
		if a != Allowed {
			part += " (" + a.String() + ": " + r.Owner() + ")"
		}
		parts = append(parts, part)
	}
	return roles, "**Roles:** " + strings.Join(parts, ", ") + "."
}

// pathParams are the {names} of a path, in order.
func pathParams(path string) []string {
	var out []string
	for seg := range strings.SplitSeq(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// operationID is a route as an identifier: "GET /api/stores/{id}" →
// "getStoresById".
func operationID(route string) string {
	method, path, _ := strings.Cut(route, " ")
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for seg := range strings.SplitSeq(strings.TrimPrefix(path, "/api"), "/") {
		switch {
		case seg == "":
		case strings.HasPrefix(seg, "{"):
			b.WriteString("By" + upperFirst(strings.Trim(seg, "{}")))
		default:
			for part := range strings.FieldsFuncSeq(seg, func(r rune) bool { return r == '-' || r == '.' }) {
				b.WriteString(upperFirst(part))
			}
		}
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
