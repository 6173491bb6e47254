package ordering

import (
	"fmt"
	"time"
)

// upcastOrderSnapshot lifts a v1 OrderSnapshot to v2, which adds the
// order's createdAt. A v1 snapshot does not store it, but while the
// command that created the order is still in the snapshot's window of
// recent commands (version 1), its processing time is the creation time;
// otherwise it stays zero: unknown.
//
// v3 adds lastHash (ADR 0021), whose default "" is the Go zero value: a v2
// snapshot needs nothing, and a v1 one only its createdAt.
func upcastOrderSnapshot(from int, snap map[string]any) (map[string]any, error) {
	switch from {
	case 1:
	case 2:
		return snap, nil
	default:
		return nil, fmt.Errorf("no upcaster from OrderSnapshot v%d", from)
	}
	state, ok := snap["state"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("OrderSnapshot v1 without a state record")
	}
	created := time.UnixMilli(0).UTC()
	recent, _ := snap["recent"].([]any)
	for _, r := range recent {
		applied, _ := r.(map[string]any)
		if v, _ := applied["version"].(int64); v == 1 && applied["rejectionCode"] == "" {
			if t, ok := applied["processedAt"].(time.Time); ok {
				created = t
			}
		}
	}
	state["createdAt"] = created
	return snap, nil
}
