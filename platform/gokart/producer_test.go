package gokart

import (
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mallbots/mallbots/topics"
)

// What goka's processors rely on: every emitted record lands on the
// partition Kafka's default partitioner gives its key (the partition the
// processor owns), its promise is finished with that partition and the
// record's offset, in the order emitted per key, and an emit after Close
// fails rather than hangs.
func TestTheProducerPlacesRecordsAsKafkaDoesAndFinishesEachPromise(t *testing.T) {
	const topic, partitions, n = "t", 8, 400
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	p, err := New(t.TempDir()).producerBuilder()(cluster.ListenAddrs(), "test", topics.Hasher())
	if err != nil {
		t.Fatal(err)
	}

	type ack struct {
		key       string
		partition int32
		offset    int64
		err       error
	}
	acks := make(chan ack, n)
	for i := range n {
		key := fmt.Sprintf("customer-%d", i%50)
		p.EmitWithHeaders(topic, key, []byte{byte(i)}, map[string][]byte{"h": {1}}).ThenWithMessage(func(m *sarama.ProducerMessage, err error) {
			a := ack{key: key, err: err}
			if m != nil {
				a.partition, a.offset = m.Partition, m.Offset
			}
			acks <- a
		})
	}
	last := map[string]int64{}
	for range n {
		select {
		case a := <-acks:
			if a.err != nil {
				t.Fatalf("%s: %v", a.key, a.err)
			}
			if want := topics.PartitionFor(a.key, partitions); a.partition != want {
				t.Errorf("%s on partition %d, want %d", a.key, a.partition, want)
			}
			if prev, ok := last[a.key]; ok && a.offset <= prev {
				t.Errorf("%s acknowledged at offset %d after %d", a.key, a.offset, prev)
			}
			last[a.key] = a.offset
		case <-time.After(30 * time.Second):
			t.Fatal("promises not finished after 30 s")
		}
	}

	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	done := make(chan error, 1)
	p.Emit(topic, "late", nil).Then(func(err error) { done <- err })
	select {
	case err := <-done:
		if err == nil {
			t.Error("an emit after Close succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Error("an emit after Close was never finished")
	}
}
