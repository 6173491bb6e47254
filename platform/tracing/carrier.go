package tracing

import (
	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// GokaHeaders adapts goka's record headers to a propagation carrier.
type GokaHeaders goka.Headers

// Get implements propagation.TextMapCarrier.
func (h GokaHeaders) Get(key string) string { return string(h[key]) }

// Set implements propagation.TextMapCarrier.
func (h GokaHeaders) Set(key, value string) { h[key] = []byte(value) }

// Keys implements propagation.TextMapCarrier.
func (h GokaHeaders) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}

// RecordHeaders adapts a franz-go record's headers to a propagation
// carrier: Set replaces a header of the same key.
type RecordHeaders struct{ R *kgo.Record }

// Get implements propagation.TextMapCarrier.
func (c RecordHeaders) Get(key string) string {
	for _, h := range c.R.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// Set implements propagation.TextMapCarrier.
func (c RecordHeaders) Set(key, value string) {
	for i, h := range c.R.Headers {
		if h.Key == key {
			c.R.Headers[i].Value = []byte(value)
			return
		}
	}
	c.R.Headers = append(c.R.Headers, kgo.RecordHeader{Key: key, Value: []byte(value)})
}

// Keys implements propagation.TextMapCarrier.
func (c RecordHeaders) Keys() []string {
	keys := make([]string, 0, len(c.R.Headers))
	for _, h := range c.R.Headers {
		keys = append(keys, h.Key)
	}
	return keys
}
