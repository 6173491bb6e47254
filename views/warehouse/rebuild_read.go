package warehouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// project reads every partition of the rebuild's topics from from to to
// (exclusive), maps each record with the projection's Map and inserts the
// rows of the rebuilt tables into target(table), in batches.
func (r *rebuild) project(ctx context.Context, phase string, from, to map[string]map[int32]int64, target func(RebuiltTable) string) error {
	want := map[string]map[int32]kgo.Offset{}
	ends := map[string]map[int32]int64{}
	var total int64
	left := 0
	for topic, parts := range to {
		for part, end := range parts {
			start := from[topic][part]
			if end <= start {
				continue
			}
			if want[topic] == nil {
				want[topic], ends[topic] = map[int32]kgo.Offset{}, map[int32]int64{}
			}
			want[topic][part], ends[topic][part] = kgo.NewOffset().At(start), end
			total += end - start
			left++
		}
	}
	began := time.Now()
	prog := RebuildProgress{Phase: phase, Total: total}
	report := func(done bool) {
		prog.Rows, prog.Elapsed, prog.Done = r.res.Rows, time.Since(began), done
		r.cfg.progress(prog)
	}
	if left == 0 {
		report(true)
		return nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), r.kafka...), kgo.ConsumePartitions(want))...)
	if err != nil {
		return fmt.Errorf("Kafka client: %w", err)
	}
	defer cl.Close()

	buf := &rowBuffer{rows: map[string][][]any{}}
	lastReport := time.Now()
	for left > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("fetch %s/%d: %w", t, p, err) })
		if ferr != nil {
			return ferr
		}
		fetches.EachRecord(func(rec *kgo.Record) {
			end, ok := ends[rec.Topic][rec.Partition]
			if !ok || rec.Offset >= end {
				return // appended after this phase's end: the next phase's or the live projection's
			}
			prog.Records++
			r.res.Records++
			r.add(buf, rec)
			if rec.Offset == end-1 {
				left--
			}
		})
		if buf.n >= r.cfg.batchRows || left == 0 {
			if err := r.flush(ctx, buf, target); err != nil {
				return err
			}
		}
		if time.Since(lastReport) >= r.cfg.progressEvery {
			report(false)
			lastReport = time.Now()
		}
	}
	report(true)
	return nil
}

// rowBuffer holds rows by table until the next flush.
type rowBuffer struct {
	rows map[string][][]any
	n    int
}

// add maps rec and keeps the rows of the rebuilt tables; a record Map
// refuses is skipped and logged, as the live projector does.
func (r *rebuild) add(buf *rowBuffer, rec *kgo.Record) {
	rows, err := r.pr.mapRecord(rec)
	if err != nil {
		r.res.Skipped++
		r.cfg.log.Error("rebuild: skipping a record the projection cannot map",
			"projection", r.p.Name, "topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "err", err)
		return
	}
	for _, row := range rows {
		for _, t := range r.tables {
			if t.Name == row.Table {
				buf.rows[t.Name] = append(buf.rows[t.Name], row.Values)
				buf.n++
			}
		}
	}
}

// flush inserts the buffered rows, one column-listed batch per table, with
// a few attempts each (a rebuild is rerun rather than retried forever).
func (r *rebuild) flush(ctx context.Context, buf *rowBuffer, target func(RebuiltTable) string) error {
	for i, t := range r.tables {
		rows := buf.rows[t.Name]
		if len(rows) == 0 {
			continue
		}
		name := target(r.res.Tables[i])
		sql := "INSERT INTO " + Database + ".`" + name + "` (`" + strings.Join(t.Columns, "`, `") + "`)"
		var err error
		for attempt, wait := 1, time.Second; ; attempt, wait = attempt+1, wait*2 {
			if err = r.insert(ctx, sql, rows); err == nil || attempt == 3 {
				break
			}
			r.cfg.log.Warn("rebuild: ClickHouse refused a batch; retrying", "table", name, "attempt", attempt, "err", err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		if err != nil {
			return fmt.Errorf("insert into %s: %w", name, err)
		}
		r.res.Tables[i].Rows += int64(len(rows))
		r.res.Rows += int64(len(rows))
		buf.rows[t.Name] = rows[:0]
	}
	buf.n = 0
	return nil
}

func (r *rebuild) insert(ctx context.Context, sql string, rows [][]any) error {
	b, err := r.ch.PrepareBatch(ctx, sql)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if err := b.Append(row...); err != nil {
			_ = b.Abort()
			return err
		}
	}
	return b.Send()
}
