package topics_test

import (
	"testing"

	"github.com/mallbots/mallbots/topics"
)

// The partitioner runs for every record every goka producer and the engine's
// partition check write. Run: go test ./topics -run '^$' -bench . -benchmem

const benchKey = "8f0c3a52-6b1d-4c0e-9a5e-2f6d1b7c9e01" // a UUID, as every aggregate id

func BenchmarkMurmur2(b *testing.B) {
	key := []byte(benchKey)
	b.SetBytes(int64(len(key)))
	for range b.N {
		topics.Murmur2(key)
	}
}

func BenchmarkPartitionFor(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		topics.PartitionFor(benchKey, topics.AggregatePartitions)
	}
}

// BenchmarkHasher is goka's way: a new hash per record, the key written, the
// sum read.
func BenchmarkHasher(b *testing.B) {
	newHash := topics.Hasher()
	key := []byte(benchKey)
	b.ReportAllocs()
	for range b.N {
		h := newHash()
		_, _ = h.Write(key)
		h.Sum32()
	}
}
