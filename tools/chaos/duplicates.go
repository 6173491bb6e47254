package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/topics"
)

// Duplicates delivers commands and saga replies again, and out of order:
// records already handled are copied back onto their topics (same key,
// same partition, same bytes), newest first. Every copy must change
// nothing: no new event, no state change, no order moving.
func Duplicates(ctx context.Context, cfg Config) (Report, error) {
	r, start, p, err := startSingle(ctx, &cfg, "duplicated and reordered delivery of commands and saga replies")
	if err != nil {
		return r, err
	}
	defer p.Stop()
	if cfg.Shoppers == 0 {
		cfg.Shoppers = 50 // the saga needs orders to reply to
	}
	ledger, stop := load(&cfg, p.API, p.Token)
	rng := rand.New(rand.NewPCG(cfg.Seed, 5))
	pause(ctx, rng, 15*time.Second, 15*time.Second)
	stop()

	before, err := orderStatuses(ctx, p, 0)
	if err != nil {
		return r, err
	}
	cl, err := kgo.NewClient(append(chaosOpts(p.Kafka), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		return r, err
	}
	defer cl.Close()
	var names []string
	for _, a := range topics.Aggregates() {
		names = append(names, a.Commands.Name)
	}
	names = append(names, topics.SagaReplies.Name)
	copies := 0
	for _, topic := range names {
		recs, err := readAll(ctx, p.Kafka, topic)
		if err != nil {
			return r, err
		}
		// Every record again, newest first: duplicated and reordered.
		for i := len(recs) - 1; i >= 0; i-- {
			rec := recs[i]
			dup := &kgo.Record{Topic: rec.Topic, Partition: rec.Partition, Key: rec.Key, Value: rec.Value, Headers: rec.Headers}
			cl.Produce(ctx, dup, func(_ *kgo.Record, err error) {
				if err != nil {
					r.Problems = append(r.Problems, "produce a copy: "+err.Error())
				}
			})
			copies++
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return r, err
	}
	r.Faults = copies
	if err := drained(ctx, p.Kafka, time.Minute); err != nil {
		return r, err
	}
	after, err := orderStatuses(ctx, p, time.Duration(0))
	if err != nil {
		return r, err
	}
	r.Extra = append(r.Extra, fmt.Sprintf("records delivered again, newest first: %d (commands and saga replies)", copies),
		fmt.Sprintf("orders by status before: %v, after: %v", before, after))
	if fmt.Sprint(before) != fmt.Sprint(after) {
		r.Problems = append(r.Problems, "the copies moved orders")
	}
	err = Check(ctx, &r, p, ledger)
	r.Duration, r.Dir = time.Since(start), cfg.Dir
	return r, err
}

// readAll reads a topic from the start to its end now.
func readAll(ctx context.Context, broker, topic string) ([]*kgo.Record, error) {
	cl, err := kgo.NewClient(chaosOpts(broker)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	want := map[int32]kgo.Offset{}
	last := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = kgo.NewOffset().AtStart()
			last[o.Partition] = o.Offset - 1
		}
	})
	if len(want) == 0 {
		return nil, nil
	}
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: want})
	var out []*kgo.Record
	for len(last) > 0 {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		fetches.EachRecord(func(rec *kgo.Record) {
			if l, ok := last[rec.Partition]; ok && rec.Offset <= l {
				out = append(out, rec)
				if rec.Offset == l {
					delete(last, rec.Partition)
				}
			}
		})
	}
	return out, nil
}

// drained waits until every consumer group has committed up to the end of
// what it reads: the copies were all handled.
func drained(ctx context.Context, broker string, within time.Duration) error {
	cl, err := kgo.NewClient(chaosOpts(broker)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	deadline := time.Now().Add(within)
	for {
		groups, err := adm.ListGroups(ctx)
		if err != nil {
			return err
		}
		lags, err := adm.Lag(ctx, groups.Groups()...)
		if err != nil {
			return err
		}
		var behind int64
		lags.Each(func(l kadm.DescribedGroupLag) {
			behind += l.Lag.Total()
		})
		if behind == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("consumer groups still %d records behind after %s", behind, within)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// orderStatuses counts the orders by status in ClickHouse once the
// projections have caught up.
func orderStatuses(ctx context.Context, p *Proc, _ time.Duration) (map[string]uint64, error) {
	if err := drained(ctx, p.Kafka, time.Minute); err != nil {
		return nil, err
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{p.CH}})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, "SELECT status, count() FROM mallbots.orders FINAL GROUP BY status ORDER BY status")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var s string
		var n uint64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}
