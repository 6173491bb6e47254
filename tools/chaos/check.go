package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// Report is what a scenario measured. Every count after the first block
// must be zero.
type Report struct {
	Scenario      string
	Dir           string // where the processes kept their data and logs
	Duration      time.Duration
	Faults        int   // crashes, stops, injections
	Sent          int64 // HTTP command requests, retries included
	Retries       int64
	Acked         int   // acknowledged commands in the ledger
	Refused       int64 // retries a rule answered (not acknowledged)
	Events        int   // distinct events in the log
	Records       int   // event records in the log
	ClickHouse    uint64
	Extra         []string // scenario-specific figures
	Lost          int      // acknowledged commands without their event
	Doubled       int      // acknowledged commands with more than one event
	DupRecords    int      // event records whose event id was already in the log
	Gaps          int      // aggregates whose versions are not 1..n
	Conflicts     int      // (aggregate, version) with two different events
	StateMismatch int      // aggregates whose API version differs from the log
	CHMismatch    int      // 1 when ClickHouse's events differ from the log
	Verify        int      // discrepancies mallbots verify finds (log, state tables)
	Problems      []string
}

// OK says whether nothing was lost or doubled.
func (r Report) OK() bool {
	return r.Lost+r.Doubled+r.DupRecords+r.Gaps+r.Conflicts+r.StateMismatch+r.CHMismatch+r.Verify == 0 && len(r.Problems) == 0
}

// Print writes the report.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\n%s: %s\n", r.Scenario, map[bool]string{true: "OK", false: "FAILED"}[r.OK()])
	fmt.Fprintf(w, "  duration %s · faults %d · requests %d (retries %d) · acknowledged %d (refused retries %d)\n",
		r.Duration.Round(time.Second), r.Faults, r.Sent, r.Retries, r.Acked, r.Refused)
	fmt.Fprintf(w, "  log: %d events in %d records · ClickHouse events: %d\n", r.Events, r.Records, r.ClickHouse)
	for _, e := range r.Extra {
		fmt.Fprintf(w, "  %s\n", e)
	}
	fmt.Fprintf(w, "  lost %d · doubled %d · duplicate records %d · version gaps %d · conflicts %d · API state ≠ log %d · ClickHouse ≠ log %d · verify discrepancies %d\n",
		r.Lost, r.Doubled, r.DupRecords, r.Gaps, r.Conflicts, r.StateMismatch, r.CHMismatch, r.Verify)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
}

// loggedEvent is an event as the log holds it.
type loggedEvent struct {
	typ, id, eventID, commandID string
	version                     int64
}

// readLog reads every event topic from the start to its end now.
func readLog(ctx context.Context, brokers []string, sd *serde.Serde) ([]loggedEvent, error) {
	cl, err := kgo.NewClient(chaosOpts(brokers[0])...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topics.EventTopics()...)
	if err != nil {
		return nil, err
	}
	want := map[string]map[int32]kgo.Offset{}
	remaining := map[string]map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			if want[o.Topic] == nil {
				want[o.Topic], remaining[o.Topic] = map[int32]kgo.Offset{}, map[int32]int64{}
			}
			want[o.Topic][o.Partition] = kgo.NewOffset().AtStart()
			remaining[o.Topic][o.Partition] = o.Offset
		}
	})
	var out []loggedEvent
	if len(want) == 0 {
		return out, nil
	}
	cl.AddConsumePartitions(want)
	left := 0
	for _, ps := range remaining {
		left += len(ps)
	}
	for left > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := fetches.Err(); err != nil {
			return nil, err
		}
		var derr error
		fetches.EachRecord(func(rec *kgo.Record) {
			end := remaining[rec.Topic][rec.Partition]
			if rec.Offset >= end {
				return
			}
			agg, _ := topics.AggregateOf(rec.Topic)
			v, err := sd.Decode(ctx, serde.Position{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset}, rec.Value)
			if err != nil {
				derr = err
				return
			}
			m := v.(schemas.Event).EventMetadata()
			out = append(out, loggedEvent{typ: agg.Type, id: m.AggregateID, eventID: m.EventID, commandID: m.CommandID, version: m.AggregateVersion})
			if rec.Offset == end-1 {
				left--
			}
		})
		if derr != nil {
			return nil, derr
		}
	}
	return out, nil
}

// Check compares the ledger, the log, the API's state and ClickHouse.
// It waits (up to a minute) for the projections to catch up.
func Check(ctx context.Context, r *Report, p *Proc, ledger *Ledger) error {
	if s := ledger.Shoppers(); s != nil {
		r.Extra = append(r.Extra, fmt.Sprintf("shoppers: %d orders created: %d completed, %d rejected, %d canceled, %d not finished; rejected by reason: %s",
			s.OrdersCreated, s.Completed, s.OrdersRejected, s.Canceled, s.Stuck, s.RejectionsByReason()))
	}
	if err := ledger.ShoppersErr(); err != nil {
		r.Extra = append(r.Extra, fmt.Sprintf("the shoppers stopped early: %v", err))
	}
	sd, err := p.serde(ctx)
	if err != nil {
		return err
	}
	events, err := readLog(ctx, []string{p.Kafka}, sd)
	if err != nil {
		return fmt.Errorf("read the event log: %w", err)
	}
	r.Records = len(events)
	seen := map[string]bool{}
	byAgg := map[string]map[int64]string{} // type/id → version → event id
	byCommand := map[string]map[string]bool{}
	for _, e := range events {
		if seen[e.eventID] {
			r.DupRecords++
			continue
		}
		seen[e.eventID] = true
		key := e.typ + "/" + e.id
		if byAgg[key] == nil {
			byAgg[key] = map[int64]string{}
		}
		if other, ok := byAgg[key][e.version]; ok && other != e.eventID {
			r.Conflicts++
		}
		byAgg[key][e.version] = e.eventID
		if byCommand[e.commandID] == nil {
			byCommand[e.commandID] = map[string]bool{}
		}
		byCommand[e.commandID][e.eventID] = true
	}
	r.Events = len(seen)
	for key, versions := range byAgg {
		for v := int64(1); v <= int64(len(versions)); v++ {
			if _, ok := versions[v]; !ok {
				r.Gaps++
				r.Problems = append(r.Problems, fmt.Sprintf("%s: versions are not 1..%d", key, len(versions)))
				break
			}
		}
	}
	acked := ledger.Acked()
	r.Acked = len(acked)
	r.Sent, r.Retries, r.Refused = ledger.sent.Load(), ledger.retries.Load(), ledger.refused.Load()
	latest := map[string]Acked{}
	for _, a := range acked {
		switch n := len(byCommand[a.CommandID]); {
		case n == 0:
			r.Lost++
			if r.Lost <= 5 {
				r.Problems = append(r.Problems, fmt.Sprintf("acknowledged %s %s v%d (command %s) is not in the log", a.AggregateType, a.AggregateID, a.Version, a.CommandID))
			}
		case n > 1:
			r.Doubled++
		}
		if a.Version > latest[a.AggregateType+"/"+a.AggregateID].Version {
			latest[a.AggregateType+"/"+a.AggregateID] = a
		}
	}
	// The state the API serves follows the log: give redeliveries and
	// views a minute to converge before counting a difference.
	deadline := time.Now().Add(time.Minute)
	for {
		var problems []string
		for key, a := range latest {
			got, err := apiVersion(ctx, p, a)
			if err != nil {
				return err
			}
			if want := int64(len(byAgg[key])); got != want {
				problems = append(problems, fmt.Sprintf("%s: the API says v%d, the log has %d events", key, got, want))
			}
		}
		if len(problems) == 0 || time.Now().After(deadline) {
			r.StateMismatch = len(problems)
			r.Problems = append(r.Problems, problems[:min(len(problems), 5)]...)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err := checkClickHouse(ctx, r, p); err != nil {
		return err
	}
	return verify(ctx, r, p, sd)
}

// verify runs mallbots verify's checks (the log's versions, every state
// table against the fold of its events) once every group has caught up.
func verify(ctx context.Context, r *Report, p *Proc, sd *serde.Serde) error {
	if err := drained(ctx, p.Kafka, time.Minute); err != nil {
		r.Problems = append(r.Problems, err.Error())
	}
	rep, err := verifyLog(ctx, p, sd)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var events int64
	var aggregates, snapshots int
	for _, t := range rep.Types {
		events, aggregates, snapshots = events+int64(t.Events), aggregates+int(t.Aggregates), snapshots+int(t.Snapshots)
	}
	d := rep.Discrepancies()
	r.Verify = len(d)
	r.Extra = append(r.Extra, fmt.Sprintf("verify: %d events of %d aggregates, %d snapshots, %d discrepancies", events, aggregates, snapshots, len(d)))
	for i := 0; i < len(d) && i < 5; i++ {
		r.Problems = append(r.Problems, "verify: "+d[i].String())
	}
	return nil
}

// serde reads and writes the contract's records with p's schema registry.
func (p *Proc) serde(ctx context.Context) (*serde.Serde, error) {
	client, err := sr.NewClient(sr.URLs("http://" + p.Reg))
	if err != nil {
		return nil, err
	}
	return contract.NewSerde(ctx, client)
}

// verifyLog runs mallbots verify's checks on the log of p's broker, as the
// chaos principal.
func verifyLog(ctx context.Context, p *Proc, sd *serde.Serde) (*replay.Report, error) {
	l, err := replay.New(sd, chaosOpts(p.Kafka)...)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return l.Verify(ctx)
}

func apiVersion(ctx context.Context, p *Proc, a Acked) (int64, error) {
	path := map[string]string{"customer": "/api/customers/", "store": "/api/stores/"}[a.AggregateType] + a.AggregateID
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.API()+path, nil)
	authorize(req, p.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Version int64 `json:"version"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Version, nil
}

// checkClickHouse waits for mallbots.events to hold exactly the log's events.
func checkClickHouse(ctx context.Context, r *Report, p *Proc) error {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{p.CH}, DialTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(time.Minute)
	var rows, distinct uint64
	for {
		err = conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM mallbots.events FINAL").Scan(&rows, &distinct)
		if err == nil && rows == uint64(r.Events) && distinct == rows {
			break
		}
		if time.Now().After(deadline) {
			r.CHMismatch = 1
			r.Problems = append(r.Problems, fmt.Sprintf("ClickHouse has %d events (%d distinct ids), the log %d (%v)", rows, distinct, r.Events, err))
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	r.ClickHouse = rows
	return nil
}

// joinLines is for scenario figures.
func joinLines(lines ...string) string { return strings.Join(lines, "; ") }
