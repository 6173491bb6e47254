package topics

import "hash"

// Kafka's murmur2 constants: the Java client, librdkafka's murmur2_random and
// franz-go's default partitioner all use them, so a key lands on the same
// partition whichever client produced it.
const (
	murmurSeed = 0x9747b28c
	murmurM    = 0x5bd1e995
	murmurR    = 24
)

// Murmur2 returns Kafka's murmur2 hash of data (unmasked).
func Murmur2(data []byte) uint32 {
	n := len(data)
	h := uint32(murmurSeed) ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= murmurM
		k ^= k >> murmurR
		k *= murmurM
		h *= murmurM
		h ^= k
	}
	tail := data[n&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= murmurM
	}
	h ^= h >> 13
	h *= murmurM
	h ^= h >> 15
	return h
}

// PartitionFor returns the partition Kafka's default partitioner chooses for
// key among n partitions: murmur2, masked positive, modulo n.
func PartitionFor(key string, n int32) int32 {
	return int32(Murmur2([]byte(key))&0x7fffffff) % n
}

// Hasher returns a hash.Hash32 constructor for goka's WithHasher,
// WithViewHasher and WithEmitterHasher options.
//
// The sum is already masked positive. That matters: goka and sarama turn a
// negative int32 sum into a partition by negating it, while Kafka masks the
// sign bit; with a masked sum both give the same partition as every other
// Kafka client.
func Hasher() func() hash.Hash32 {
	return func() hash.Hash32 { return new(murmur2Hash) }
}

type murmur2Hash struct{ buf []byte }

func (h *murmur2Hash) Write(p []byte) (int, error) {
	h.buf = append(h.buf, p...)
	return len(p), nil
}

func (h *murmur2Hash) Sum32() uint32 { return Murmur2(h.buf) & 0x7fffffff }

func (h *murmur2Hash) Sum(b []byte) []byte {
	s := h.Sum32()
	return append(b, byte(s>>24), byte(s>>16), byte(s>>8), byte(s))
}

func (h *murmur2Hash) Reset()         { h.buf = h.buf[:0] }
func (h *murmur2Hash) Size() int      { return 4 }
func (h *murmur2Hash) BlockSize() int { return 4 }
