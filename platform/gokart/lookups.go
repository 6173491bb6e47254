package gokart

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lovoo/goka"

	"github.com/mallbots/mallbots/topics"
)

// Stores keeps track of the local stores a Runtime's builders have open, by
// directory, so that Lookups can ask one how far it has read its table.
type Stores struct {
	mu   sync.Mutex
	open map[string]*store
}

func (s *Stores) add(dir string, st *store) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		s.open = map[string]*store{}
	}
	s.open[dir] = st
}

// remove forgets the store at dir if it is still st. LevelDB's lock keeps
// a directory to one open store, so another st at dir means a reopen after
// a close; the check only keeps a late remove from forgetting it.
func (s *Stores) remove(dir string, st *store) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[dir] == st {
		delete(s.open, dir)
	}
}

func (s *Stores) get(dir string) *store {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open[dir]
}

// storeDir is where the store of a table partition lives under root.
func storeDir(root, topic string, partition int32) string {
	return filepath.Join(root, fmt.Sprintf("%s.%d", topic, partition))
}

// storeTopic is the topic of a store directory's name (storeDir's last
// element), and false for a name storeDir does not make.
func storeTopic(name string) (string, bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return "", false
	}
	if _, err := strconv.ParseUint(name[i+1:], 10, 31); err != nil {
		return "", false
	}
	return name[:i], true
}

// Lookups lets a processor tell a lookup that missed because its copy of
// the table is behind from one that missed because the key is not there.
//
// Each processor reads another aggregate's table from its own copy, which
// trails the topic. A client that got 201 for a customer (the API's view
// had it, so the customers table on Kafka had it) and at once starts a
// basket must not be told the customer does not exist because the
// baskets processor's copy was half a second behind, as happened when the
// whole test suite loaded the machine (docs/adr/0008).
type Lookups struct {
	stores *Stores
	c      Runtime // where the processors' stores are (ProcessorStateDir)
	// endOffset reads a partition's end offset as group, the group whose
	// copy waits (it may read the table: it looks it up).
	endOffset func(ctx context.Context, group, topic string, partition int32) (int64, error)
	// poll is how often CatchUp looks at the store's offset again.
	poll time.Duration
}

// NewLookups watches the stores of the processors c builds; endOffset asks
// Kafka where a table's partition ends, as the group whose copy waits: on
// a broker that enforces ACLs that group may read the table it looks up,
// where the table's owner's credentials are not its to hold. c must be
// made WithStores.
func NewLookups(c Runtime, endOffset func(ctx context.Context, group, topic string, partition int32) (int64, error)) *Lookups {
	if c.cfg.stores == nil {
		panic("gokart: NewLookups needs a Runtime made WithStores")
	}
	return &Lookups{stores: c.cfg.stores, c: c, endOffset: endOffset, poll: 2 * time.Millisecond}
}

// CatchUp returns once group's copy of table holds every record that the
// table's partition of key held when CatchUp was called: a lookup of key
// that misses after that misses because the key was not in the table. It
// gives up with ctx. The partition is the catalogue's, as for commands
// (engine.WithPartitions).
func (l *Lookups) CatchUp(ctx context.Context, group, table, key string) error {
	t, ok := topics.ByName(table)
	if !ok {
		return fmt.Errorf("%s is not a table of the topic catalogue", table)
	}
	partition := topics.PartitionFor(key, t.Partitions)
	end, err := l.endOffset(ctx, group, table, partition)
	if err != nil {
		return fmt.Errorf("read the end offset of %s/%d: %w", table, partition, err)
	}
	dir := storeDir(l.c.ProcessorStateDir(goka.Group(group)), table, partition)
	for {
		st := l.stores.get(dir)
		if st == nil {
			return fmt.Errorf("group %s has no local copy of %s/%d open", group, table, partition)
		}
		read, err := st.applied()
		if err != nil {
			return err
		}
		if read >= end-1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("group %s's copy of %s/%d is at offset %d, the table was at %d: %w", group, table, partition, read, end-1, ctx.Err())
		case <-time.After(l.poll):
		}
	}
}
