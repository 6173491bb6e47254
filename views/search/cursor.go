package search

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// key is a row's place in the newest-first order: created_at_ms DESC,
// order_id DESC. Both never change after an order is created, so a key
// stays put while the order's status moves on.
type key struct {
	CreatedMs uint64 `json:"t"`
	OrderID   string `json:"id"`
}

// cursorVersion lets a later release change the layout and still refuse
// old cursors with a clear message.
const cursorVersion = 1

// cursor is what a Next string carries: the last row's key and the
// fingerprint of the filters it was found with.
type cursor struct {
	Version int    `json:"v"`
	Filters string `json:"f"`
	key
}

// encodeCursor is the Next of a page that ended at k.
func encodeCursor(k key, fingerprint string) string {
	b, _ := json.Marshal(cursor{Version: cursorVersion, Filters: fingerprint, key: k}) // plain fields: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

var errMalformed = errors.New("malformed: pass the next value of the previous page unchanged, or no cursor for the first page")

// decodeCursor reads a Next string given with filters of fingerprint.
func decodeCursor(s, fingerprint string) (*key, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 512 {
		return nil, errMalformed
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.OrderID == "" {
		return nil, errMalformed
	}
	if c.Version != cursorVersion {
		return nil, fmt.Errorf("from another version of the search (v%d): start again without a cursor", c.Version)
	}
	if c.Filters != fingerprint {
		return nil, errors.New("belongs to a search with other filters: keep the filters while paging, or start again without a cursor")
	}
	return &c.key, nil
}

// fingerprint identifies the filters (not the limit) of a search, so that a
// cursor is not used with other filters, where it would silently mean
// something else.
func (f Filter) fingerprint() string {
	var b strings.Builder
	field := func(s string) { b.WriteString(strconv.Quote(s)); b.WriteByte('|') }
	field(f.CustomerID)
	field(timeText(f.CreatedAfter))
	field(timeText(f.CreatedBefore))
	field(strings.Join(sorted(f.StoreIDs), ","))
	field(strings.Join(sorted(f.ProductIDs), ","))
	field(centsText(f.MinTotal))
	field(centsText(f.MaxTotal))
	field(f.Status)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

func timeText(t time.Time) string {
	ms, ok := boundMs(t)
	if !ok {
		return ""
	}
	return strconv.FormatUint(ms, 10)
}

func centsText(c *int64) string {
	if c == nil {
		return ""
	}
	return strconv.FormatInt(*c, 10)
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
