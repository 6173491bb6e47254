package serde

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"

	"github.com/linkedin/goavro/v2"

	"github.com/mallbots/mallbots/schemas"
)

// The hash chain of an aggregate's events (docs/adr/0021). Every event
// schema version that has the chain ends with the string fields prevHash
// and hash. An event's canonical bytes are
//
//	SHA-256(Parsing Canonical Form of its writer schema) ‖ its Avro body with hash ""
//
// (the Confluent header is left out: schema ids belong to one registry; the
// writer schema's fingerprint binds the type and version instead), and its
// hash is the lowercase hex SHA-256 of them, or HMAC-SHA-256 under a key
// when the chain is keyed. Because hash is the last field, the body with
// hash "" is the sealed body with its last string replaced by one 0 byte:
// sealing costs one encoding and one hash, and verify recomputes the hash
// from the record as written, under whichever version wrote it.

// HashLen is the length of a hash in the chain: hex of 32 bytes.
const HashLen = 2 * sha256.Size

// Chain computes the hashes of the chain: plain SHA-256, or HMAC-SHA-256
// with a key. The zero Chain is plain SHA-256.
type Chain struct{ key []byte }

// NewChain is the chain keyed with key (HMAC-SHA-256); a nil or empty key
// is plain SHA-256, which anyone can recompute (and so extend).
func NewChain(key []byte) Chain { return Chain{key: append([]byte(nil), key...)} }

// Keyed tells whether the chain is HMAC-keyed.
func (c Chain) Keyed() bool { return len(c.key) > 0 }

func (c Chain) sum(fingerprint *[32]byte, canonical ...[]byte) string {
	var h hash.Hash
	if c.Keyed() {
		h = hmac.New(sha256.New, c.key)
	} else {
		h = sha256.New()
	}
	h.Write(fingerprint[:])
	for _, b := range canonical {
		h.Write(b)
	}
	var out [sha256.Size]byte
	return hex.EncodeToString(h.Sum(out[:0]))
}

// schemaFacts are what the chain needs of a writer schema: its fingerprint
// and whether it ends with the chain's fields.
type schemaFacts struct {
	fingerprint [32]byte
	chained     bool
}

func factsOf(codec *goavro.Codec, text string) schemaFacts {
	var rec struct {
		Fields []struct{ Name string } `json:"fields"`
	}
	_ = json.Unmarshal([]byte(text), &rec)
	n := len(rec.Fields)
	return schemaFacts{
		fingerprint: sha256.Sum256([]byte(codec.CanonicalSchema())),
		chained:     n >= 2 && rec.Fields[n-2].Name == "prevHash" && rec.Fields[n-1].Name == "hash",
	}
}

// ErrNotChained is returned by Seal for a type whose latest schema has no
// chain fields.
var ErrNotChained = errors.New("the record's schema has no hash chain fields (prevHash, hash last)")

// Seal encodes the event ev for topic as the successor of prev: it sets
// ev's PrevHash to prev and its Hash to the hash of its canonical bytes
// under c, and returns the encoded record and that hash.
func (s *Serde) Seal(topic string, ev schemas.Event, prev string, c Chain) ([]byte, string, error) {
	meta := ev.EventMetadata()
	meta.PrevHash, meta.Hash = prev, ""
	b, err := s.Encode(topic, ev)
	if err != nil {
		return nil, "", err
	}
	t, _ := s.TypeOf(ev)
	w := s.writers[topic][t.Name]
	if !w.facts.chained || b[len(b)-1] != 0 {
		return nil, "", fmt.Errorf("seal %s: %w", t.Name, ErrNotChained)
	}
	sum := c.sum(&w.facts.fingerprint, b[5:])
	// hash "" is the one byte 0 (a zero length); the sealed field is the
	// zigzag varint of 64 (0x80 0x01) and the 64 hex characters.
	b = append(b[:len(b)-1], 0x80, 0x01)
	b = append(b, sum...)
	meta.Hash = sum
	return b, sum, nil
}

// Link is what verify learns of one event record's place in its chain.
type Link struct {
	// Chained is false for a record written with a schema version without
	// the chain (before it was introduced): its PrevHash and Hash are "".
	Chained bool
	// PrevHash and Hash are as recorded.
	PrevHash, Hash string
	// Sum is the hash recomputed over the record's canonical bytes; a
	// record whose Hash differs from Sum was altered (or, in a keyed chain,
	// written by someone without the key).
	Sum string
}

// Intact tells whether a chained record's hash is the one its bytes give.
func (l Link) Intact() bool { return l.Chained && l.Hash != "" && l.Hash == l.Sum }

// LinkOf recomputes the chain hash of a Confluent-framed event record,
// decoded as ev (which gives its recorded PrevHash and Hash), under c and
// the writer schema its id names.
func (s *Serde) LinkOf(ctx context.Context, b []byte, ev schemas.Event, c Chain) (Link, error) {
	id, r, err := s.readerOf(ctx, b)
	if err != nil {
		return Link{}, err
	}
	meta := ev.EventMetadata()
	l := Link{Chained: r.facts.chained, PrevHash: meta.PrevHash, Hash: meta.Hash}
	if !l.Chained {
		return l, nil
	}
	body := b[5:]
	n := len(meta.Hash)
	tail := varintLen(int64(n)) + n
	if tail > len(body) || string(body[len(body)-n:]) != meta.Hash {
		return Link{}, fmt.Errorf("schema id %d: the record does not end with its hash field", id)
	}
	l.Sum = c.sum(&r.facts.fingerprint, body[:len(body)-tail], []byte{0})
	return l, nil
}

// varintLen is the length of Avro's zigzag varint of n.
func varintLen(n int64) int {
	u := uint64((n << 1) ^ (n >> 63))
	l := 1
	for u >= 0x80 {
		u >>= 7
		l++
	}
	return l
}
