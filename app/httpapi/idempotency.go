package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"

	"github.com/mallbots/mallbots/emitters"
	"github.com/mallbots/mallbots/processors/idempotency"
	"github.com/mallbots/mallbots/schemas"
	contract "github.com/mallbots/mallbots/schemas/idempotency"
)

// An Idempotency-Key is bound to the first request that uses it: before a
// write sends its command, it claims the key for the request's fingerprint
// on the Idempotency-Key aggregate (processors/idempotency), whose
// partition decides the claims of a key one at a time, for every API
// instance. The same request claims again and goes on to its command, whose
// id is the key, so the aggregate answers it from its window; another
// request is refused with 422 and sends nothing. See
// docs/adr/0015-idempotency-keys.md.

// idempotencyHeader names the client's key for a write.
const idempotencyHeader = "Idempotency-Key"

// maxKeyLength bounds a key: a UUID is 36 characters.
const maxKeyLength = 255

// checkKey says what is wrong with a key, if anything: it becomes a Kafka
// record key and a command id, so it is printable ASCII.
func checkKey(key string) error {
	if len(key) > maxKeyLength {
		return fmt.Errorf("the Idempotency-Key has %d characters, at most %d are allowed: use a UUID", len(key), maxKeyLength)
	}
	for i := range len(key) {
		if c := key[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("the Idempotency-Key must be printable ASCII, e.g. a UUID; byte %d is %#x", i, c)
		}
	}
	return nil
}

// fingerprint is what makes two requests the same request: the method, the
// path, If-Match and the body decode read, in canonical form (members
// sorted, no insignificant white space, strings in one escaping; numbers as
// written), so that a client that re-encodes its retry is not refused. It
// is a hex SHA-256, versioned: a new recipe must not match the old one's
// fingerprints by accident.
func fingerprint(r *http.Request) string {
	body := bodyRead(r)
	if len(body) > 0 {
		v := jsontext.Value(append([]byte(nil), body...))
		// decode accepted the body, so it is valid JSON text. One with a
		// name twice is taken as sent: sorting its members would lose
		// which of the two encoding/json kept (the last).
		if err := v.Canonicalize(jsontext.CanonicalizeRawInts(false), jsontext.CanonicalizeRawFloats(false)); err == nil {
			body = v
		}
	}
	parts, _ := json.Marshal([]string{"mallbots-request-v1", r.Method, r.URL.Path, r.Header.Get("If-Match"), string(body)})
	sum := sha256.Sum256(parts)
	return hex.EncodeToString(sum[:])
}

// claim binds key to the request, or answers the client why it cannot:
// 400 for a malformed key, 422 for a key bound to another request, 503
// when the claim cannot be decided in time (nothing was sent but the claim,
// so a retry with the same key is safe). It says whether to go on.
func (s *server) claim(ctx context.Context, w http.ResponseWriter, r *http.Request, key string) bool {
	if err := checkKey(key); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return false
	}
	fp := fingerprint(r)
	c := &contract.ClaimIdempotencyKey{Fingerprint: fp, Request: r.Method + " " + r.URL.Path}
	c.AggregateID = key
	// The same request claims under the same id, so the aggregate's window
	// answers a retried claim as it answered the first.
	c.CommandID = schemas.DerivedID("idempotency-claim/" + key + "/" + fp)
	res, err := s.Commands.SendAndWait(ctx, c)
	switch {
	case err != nil && (r.Context().Err() != nil || !errors.Is(err, emitters.ErrNoResultYet)):
		s.unsent(w, r, c.CommandID, err) // the client went away, or Kafka refused the claim
		return false
	case err != nil:
		s.Log.Warn("an Idempotency-Key claim was not decided in time", "key", key, "claim_id", c.CommandID)
		writeError(w, http.StatusServiceUnavailable, "unavailable",
			"the Idempotency-Key could not be checked in time and nothing was done: retry with the same Idempotency-Key")
		return false
	}
	switch {
	case res.Accepted:
		return true
	case res.Code == idempotency.CodeKeyReused:
		writeError(w, http.StatusUnprocessableEntity, res.Code, res.Message)
	default:
		writeError(w, statusOf(res.Kind), res.Code, res.Message)
	}
	return false
}

// createID is the id of a new aggregate: the client's (a UUID); without
// one, derived from the request's Idempotency-Key, so that a retried create
// reaches the aggregate the first one made; without a key, a new one.
func createID(w http.ResponseWriter, r *http.Request, given string) (string, bool) {
	key := r.Header.Get(idempotencyHeader)
	switch {
	case given == "" && key != "":
		return schemas.DerivedID("idempotency-key/" + key), true
	case given == "":
		return uuid.NewString(), true
	}
	if _, err := uuid.Parse(given); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "id must be a UUID, got "+strconv.Quote(given))
		return "", false
	}
	return given, true
}
