package warehouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Rebuild re-projects tables of a Projection from the log, from offset 0,
// into new tables, and swaps them in for the live ones:
//
//  1. copy: each table T gets an empty twin T_rebuild_<UTC timestamp>
//     (CREATE TABLE … AS T: same columns, engine and keys), filled by the
//     projection's Map from every record of the topics that feed it, read
//     partition by partition from the start to the end offsets seen when
//     the rebuild began (direct reads: no consumer group, so the live
//     projection's committed offsets are untouched);
//  2. swap: one RENAME TABLE moves each T to T_replaced_<timestamp> and
//     each twin to T (18.16 has RENAME, not EXCHANGE; between the two
//     halves of a pair T is briefly missing, and a live insert that hits
//     that moment is refused and retried by its projector);
//  3. catch up: the records appended since the copy's end offsets, up to
//     the end offsets seen after the swap, are projected into the new T.
//     The live projection kept writing the old T until the swap, and every
//     record it wrote there is below those offsets; projecting some
//     records twice is harmless, the tables are keyed for redelivery;
//  4. the replaced tables are dropped (see RebuildKeepReplaced).
//
// The live projection keeps running throughout. A rebuild that fails before
// the swap drops its twins and leaves the live tables as they were; one that
// fails after it says which step to finish by hand. ch needs CREATE, INSERT,
// RENAME and DROP on Database (the server's default user or the writer).
//
// Records are read uncommitted (MallBots writes no transactions; the
// reads end at the high watermarks).
func Rebuild(ctx context.Context, kafka []kgo.Opt, ch driver.Conn, p Projection, opts ...RebuildOption) (RebuildResult, error) {
	began := time.Now()
	cfg := rebuildConfig{batchRows: 50_000, log: slog.Default(), progress: func(RebuildProgress) {}, progressEvery: time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	r, err := newRebuild(kafka, ch, p, cfg)
	if err != nil {
		return RebuildResult{}, err
	}
	defer r.adm.Close()
	stamp := began.UTC().Format("20060102150405")
	for _, t := range r.tables {
		r.res.Tables = append(r.res.Tables, RebuiltTable{
			Name: t.Name, Shadow: t.Name + "_rebuild_" + stamp, Replaced: t.Name + "_replaced_" + stamp,
		})
	}

	if err := r.createShadows(ctx); err != nil {
		return r.res, err
	}
	starts, copyEnds, err := r.offsets(ctx)
	if err == nil {
		err = r.project(ctx, "copy", starts, copyEnds, func(t RebuiltTable) string { return t.Shadow })
	}
	if err != nil {
		r.dropShadows()
		return r.res, fmt.Errorf("warehouse: rebuild %s: %w (the live tables are untouched)", p.Name, err)
	}
	if err := r.swap(ctx); err != nil {
		r.dropShadows()
		return r.res, fmt.Errorf("warehouse: rebuild %s: swap: %w (the live tables are untouched)", p.Name, err)
	}
	_, catchUpEnds, err := r.offsets(ctx)
	if err == nil {
		err = r.project(ctx, "catch-up", copyEnds, catchUpEnds, func(t RebuiltTable) string { return t.Name })
	}
	if err != nil {
		return r.res, fmt.Errorf("warehouse: rebuild %s: the rebuilt tables are live, but catching up failed: %w; "+
			"the records since the copy are in the replaced tables (%s): rebuild again", p.Name, err, r.replacedNames())
	}
	if !cfg.keepReplaced {
		for _, t := range r.res.Tables {
			t0 := time.Now()
			err := ch.Exec(ctx, "DROP TABLE IF EXISTS "+Database+".`"+t.Replaced+"`")
			cfg.log.Debug("rebuild: dropped the replaced table", "table", t.Replaced, "took", time.Since(t0))
			if err != nil {
				return r.res, fmt.Errorf("warehouse: rebuild %s: the rebuilt tables are live; dropping %s failed: %w (drop it by hand)", p.Name, t.Replaced, err)
			}
		}
	}
	r.res.Took = time.Since(began)
	return r.res, nil
}

// RebuildOption configures Rebuild.
type RebuildOption func(*rebuildConfig)

type rebuildConfig struct {
	tables        []string
	sources       map[string][]string
	batchRows     int
	keepReplaced  bool
	log           *slog.Logger
	progress      func(RebuildProgress)
	progressEvery time.Duration
}

// RebuildTables restricts the rebuild to some of the projection's tables
// (by Table.Name). Default: all of them.
func RebuildTables(names ...string) RebuildOption {
	return func(c *rebuildConfig) { c.tables = names }
}

// RebuildSources says which of the projection's topics feed each table
// (table name → topics), so that rebuilding one table reads only those.
// Default: every table is fed by all of the projection's topics.
func RebuildSources(sources map[string][]string) RebuildOption {
	return func(c *rebuildConfig) { c.sources = sources }
}

// RebuildBatchRows bounds the rows of one insert. Default 50,000.
func RebuildBatchRows(n int) RebuildOption { return func(c *rebuildConfig) { c.batchRows = n } }

// RebuildKeepReplaced keeps the replaced tables (T_replaced_<timestamp>)
// instead of dropping them, e.g. to compare them with the rebuilt ones.
func RebuildKeepReplaced() RebuildOption { return func(c *rebuildConfig) { c.keepReplaced = true } }

// RebuildLogger sets the logger. Default slog.Default().
func RebuildLogger(l *slog.Logger) RebuildOption { return func(c *rebuildConfig) { c.log = l } }

// RebuildProgressFunc receives progress about every d (and at the end of
// each phase). Default: none.
func RebuildProgressFunc(d time.Duration, fn func(RebuildProgress)) RebuildOption {
	return func(c *rebuildConfig) { c.progressEvery, c.progress = d, fn }
}

// RebuildProgress is how far a rebuild is.
type RebuildProgress struct {
	// Phase is "copy" (the log up to the end offsets seen at the start,
	// into the new tables) or "catch-up" (what was appended meanwhile, into
	// the swapped-in tables).
	Phase string
	// Records of the phase read so far, out of Total.
	Records, Total int64
	// Rows inserted so far, over all phases.
	Rows int64
	// Elapsed since the phase began.
	Elapsed time.Duration
	// Done is set on the phase's last report.
	Done bool
}

// RebuildResult is what a rebuild did.
type RebuildResult struct {
	Tables []RebuiltTable
	// Records read and Rows inserted, over all phases; Skipped records
	// that Map refused.
	Records, Rows, Skipped int64
	Took                   time.Duration
}

// RebuiltTable names the tables of one rebuild.
type RebuiltTable struct {
	// Name is the live table, now the rebuilt one.
	Name string
	// Shadow is the name it was built under.
	Shadow string
	// Replaced is the name the previous table was moved to (dropped at the
	// end unless RebuildKeepReplaced).
	Replaced string
	// Rows inserted into it.
	Rows int64
}

type rebuild struct {
	p      Projection
	pr     *Projector // for its validated tables and Map wrapper
	ch     driver.Conn
	kafka  []kgo.Opt
	adm    *kadm.Client
	cfg    rebuildConfig
	tables []Table
	topics []string
	res    RebuildResult
}

func newRebuild(kafka []kgo.Opt, ch driver.Conn, p Projection, cfg rebuildConfig) (*rebuild, error) {
	pr, err := NewProjector(kafka, ch, p, WithLogger(cfg.log))
	if err != nil {
		return nil, err
	}
	if cfg.batchRows < 1 {
		return nil, fmt.Errorf("warehouse: rebuild %s: RebuildBatchRows(%d): want at least 1", p.Name, cfg.batchRows)
	}
	r := &rebuild{p: p, pr: pr, ch: ch, kafka: kafka, cfg: cfg}
	names := cfg.tables
	if len(names) == 0 {
		for _, t := range p.Tables {
			names = append(names, t.Name)
		}
	}
	var errs []error
	for _, n := range names {
		t, ok := pr.tables[n]
		if !ok {
			errs = append(errs, fmt.Errorf("projection %s has no table %q (it has %s)", p.Name, n, tableNames(p.Tables)))
			continue
		}
		if strings.Contains(t.Name, ".") {
			errs = append(errs, fmt.Errorf("table %q: a rebuild works on tables of %s, named without a database", t.Name, Database))
			continue
		}
		r.tables = append(r.tables, t)
		feeds := p.Topics
		if s, ok := cfg.sources[t.Name]; ok {
			feeds = s
		}
		for _, topic := range feeds {
			if !slices.Contains(p.Topics, topic) {
				errs = append(errs, fmt.Errorf("RebuildSources: topic %q of table %s is not one of the projection's topics", topic, t.Name))
			} else if !slices.Contains(r.topics, topic) {
				r.topics = append(r.topics, topic)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("warehouse: rebuild %s: %w", p.Name, err)
	}
	cl, err := kgo.NewClient(kafka...)
	if err != nil {
		return nil, fmt.Errorf("warehouse: rebuild %s: Kafka client: %w", p.Name, err)
	}
	r.adm = kadm.NewClient(cl)
	return r, nil
}

func tableNames(ts []Table) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

func (r *rebuild) createShadows(ctx context.Context) error {
	for i, t := range r.res.Tables {
		sql := "CREATE TABLE " + Database + ".`" + t.Shadow + "` AS " + Database + ".`" + t.Name + "`"
		if err := r.ch.Exec(ctx, sql); err != nil {
			r.res.Tables = r.res.Tables[:i] // only the ones that exist
			r.dropShadows()
			return fmt.Errorf("warehouse: rebuild %s: create %s like %s: %w (is the schema migrated?)", r.p.Name, t.Shadow, t.Name, err)
		}
	}
	return nil
}

// dropShadows removes the twins after a failure, on its own deadline.
func (r *rebuild) dropShadows() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, t := range r.res.Tables {
		if err := r.ch.Exec(ctx, "DROP TABLE IF EXISTS "+Database+".`"+t.Shadow+"`"); err != nil {
			r.cfg.log.Warn("could not drop the rebuild's table; drop it by hand", "table", t.Shadow, "err", err)
		}
	}
}

func (r *rebuild) swap(ctx context.Context) error {
	pairs := make([]string, 0, 2*len(r.res.Tables))
	for _, t := range r.res.Tables {
		pairs = append(pairs, Database+".`"+t.Name+"` TO "+Database+".`"+t.Replaced+"`")
		pairs = append(pairs, Database+".`"+t.Shadow+"` TO "+Database+".`"+t.Name+"`")
	}
	return r.ch.Exec(ctx, "RENAME TABLE "+strings.Join(pairs, ", "))
}

func (r *rebuild) replacedNames() string {
	var names []string
	for _, t := range r.res.Tables {
		names = append(names, t.Replaced)
	}
	return strings.Join(names, ", ")
}

// offsets returns the start and end offsets of the topics now.
func (r *rebuild) offsets(ctx context.Context) (starts, ends map[string]map[int32]int64, err error) {
	get := func(list func(context.Context, ...string) (kadm.ListedOffsets, error)) (map[string]map[int32]int64, error) {
		l, err := list(ctx, r.topics...)
		if err == nil {
			err = l.Error()
		}
		if err != nil {
			return nil, err
		}
		out := map[string]map[int32]int64{}
		l.Each(func(o kadm.ListedOffset) {
			if out[o.Topic] == nil {
				out[o.Topic] = map[int32]int64{}
			}
			out[o.Topic][o.Partition] = o.Offset
		})
		return out, nil
	}
	if starts, err = get(r.adm.ListStartOffsets); err != nil {
		return nil, nil, fmt.Errorf("list start offsets: %w", err)
	}
	if ends, err = get(r.adm.ListEndOffsets); err != nil {
		return nil, nil, fmt.Errorf("list end offsets: %w", err)
	}
	return starts, ends, nil
}
