package warehouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/views/warehouse"
)

func TestMeasureLagCountsAndAgesWhatIsNotCommitted(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	hourAgo := time.Now().Add(-time.Hour)
	var recs []*kgo.Record
	for i := range 90 {
		recs = append(recs, &kgo.Record{Topic: testTopic, Key: []byte{byte('a' + i%3)}, Value: []byte("agg-1/1"), Timestamp: hourAgo.Add(time.Duration(i) * time.Second)})
	}
	if err := r.kafka.client.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	lags, err := warehouse.MeasureLag(ctx, r.kafka.opts(), "g-lag", []string{testTopic}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(lags) != 1 || lags[0].Events != 90 || lags[0].Seconds < 3600 || lags[0].Seconds > 3700 {
		t.Errorf("before the group exists: %+v, want 90 events about an hour old", lags)
	}
	tables := warehouse.TablesLag([]warehouse.Table{warehouse.EventsTable, warehouse.ProductsTable}, lags,
		map[string][]string{"products": {"another.topic"}})
	if tables[0].Events != 90 || tables[0].Seconds != lags[0].Seconds || len(tables[0].Topics) != 1 || tables[1].Events != 0 || len(tables[1].Topics) != 0 {
		t.Errorf("tables = %+v: events is fed by every topic, products by none of these", tables)
	}

	start(t, r.kafka.opts(), r.writer, eventsProjection("g-lag"))
	eventually(t, wait, "committed", func() bool { return r.kafka.committed(t, "g-lag") == 90 })
	lags, err = warehouse.MeasureLag(ctx, r.kafka.opts(), "g-lag", []string{testTopic}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if lags[0].Events != 0 || lags[0].Seconds != 0 {
		t.Errorf("after the projection caught up: %+v, want no lag", lags)
	}
}
