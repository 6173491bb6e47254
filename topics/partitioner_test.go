package topics

import (
	"fmt"
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Goka, franz-go and our own PartitionFor must send every key to the same
// partition, or a command is applied to a state the processor does not own.
func TestGokaFranzGoAndCoreAgreeOnPartitions(t *testing.T) {
	for _, n := range []int32{1, 8, 12} {
		franz := kgo.StickyKeyPartitioner(nil).ForTopic("t")
		// goka's producers (processor emits, emitters) partition with sarama's
		// custom hash partitioner over the hasher they are given.
		gokaProducer := sarama.NewCustomHashPartitioner(Hasher())("t")
		for i := range 10_000 {
			key := fmt.Sprintf("key-%d-%x", i, i*7919)
			core := PartitionFor(key, n)
			kp := int32(franz.Partition(&kgo.Record{Key: []byte(key)}, int(n)))
			sp, err := gokaProducer.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(key)}, n)
			if err != nil {
				t.Fatal(err)
			}
			gv := gokaViewPartition(key, n)
			if core != kp || core != sp || core != gv {
				t.Fatalf("key %q on %d partitions: core %d, franz-go %d, goka producer %d, goka view/processor %d", key, n, core, kp, sp, gv)
			}
		}
	}
}

// gokaViewPartition is how goka's View and Processor pick a partition from
// the hasher they are given (view.go, processor.go hash()).
func gokaViewPartition(key string, n int32) int32 {
	h := Hasher()()
	_, _ = h.Write([]byte(key))
	sum := int32(h.Sum32())
	if sum < 0 {
		sum = -sum
	}
	return sum % n
}

// Known values from Kafka's own murmur2 (the Java client's Utils.murmur2
// test vectors) pin the implementation, not only the agreement.
func TestMurmur2MatchesKafka(t *testing.T) {
	for in, want := range map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
	} {
		if got := int32(Murmur2([]byte(in))); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", in, got, want)
		}
	}
}
