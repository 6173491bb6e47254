package gokart

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/lovoo/goka/storage"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	ldbstorage "github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// store is goka's local storage on LevelDB, with its writes batched. It
// keeps the copies of the tables processors look up and the views'
// stores; a processor's own table is a logStore (logstore.go, ADR 0013).
// The figures below, measured when it also kept the processors' own
// tables, explain its tuning.
//
// goka's own LevelDB storage does a Put per Set and another per SetOffset:
// two journal writes (two write system calls) per message a processor
// handles or a view recovers, 20 % of the aggregate's CPU in a profile.
// store keeps the writes in memory and applies them as one LevelDB batch,
// with the offset of the last of them, once the batch holds flushRecords
// records or flushBytes bytes, and when goka marks the table recovered or
// closes it. Reads look at the pending writes first.
//
// The local store is a cache of the table topic: after a crash the writes
// not yet applied are lost together with their offset (a batch is atomic),
// so the store is consistent at an older offset and goka recovers the rest
// from the topic, as it does for everything past the stored offset. The
// on-disk layout is goka's (same offset key and encoding), so stores
// written by either open with the other.
type store struct {
	// dbMu guards db, which settle replaces once: reads and writes hold it
	// shared, the replacement exclusively.
	dbMu  sync.RWMutex
	db    *leveldb.DB
	files ldbstorage.Storage // the DB's files; leveldb.Open leaves closing them to us
	opts  *opt.Options       // a running store's
	// recovering is set while a store opened empty recovers with
	// recoveryOptions; settle clears it.
	recovering bool
	paced      *atomic.Bool // set when recovered: its table writers rest (tablefiles.go)
	dir        string
	open       *Stores // where it is known to be open, for Lookups; may be nil

	// flushing serializes flushes; mu guards the rest and is never held
	// while LevelDB writes (a write can stall behind a compaction, and
	// reads must not wait for it).
	flushing sync.Mutex

	mu      sync.Mutex
	pending map[string][]byte // nil: deleted
	writing map[string][]byte // the batch being written, still to be read from
	spare   map[string][]byte
	// batch collects the pending writes; spareBatch, the one last written,
	// is reused for the next (its buffer is a batch's size: hundreds of KiB).
	batch, spareBatch *leveldb.Batch
	bytes             int
	offset            int64 // the last SetOffset; 0 means none, as in goka
	dirty             bool  // offset not yet in a batch

	// iterating guards iters, the iterators not yet released, and closed.
	// It is its own lock, not mu: opening a LevelDB iterator can read
	// table files, and Gets must not wait for it.
	iterating sync.Mutex
	iters     map[*storeIterator]struct{}
	closed    bool
}

// offsetKey is where goka's LevelDB storage keeps the table offset.
const offsetKey = "__offset"

// A batch is applied when it holds this many records or bytes: large
// enough to make the journal writes rare, small enough that a store holds
// little in memory (a few hundred stores in one process).
const (
	flushRecords = 256
	flushBytes   = 512 << 10
)

// storeBuilder opens a store per table partition under path, and adds it
// to open (which may be nil) until it is closed.
func storeBuilder(path string, opts *opt.Options, open *Stores) storage.Builder {
	return func(topic string, partition int32) (storage.Storage, error) {
		dir := storeDir(path, topic, partition)
		files, err := ldbstorage.OpenFile(dir, false)
		if err != nil {
			return nil, fmt.Errorf("open the local store of %s/%d: %w (is another mallbots using this state directory?)", topic, partition, err)
		}
		paced := new(atomic.Bool)
		running := staggered(opts, partition)
		fresh := empty(dir)
		o := running
		if fresh {
			o = recoveryOptions(running)
		}
		db, err := leveldb.Open(bufferedTables{Storage: files, paced: paced}, o)
		if err != nil {
			files.Close()
			return nil, fmt.Errorf("open the local store of %s/%d: %w (a store left by an unclean stop can be removed: goka recovers it from the topic)", topic, partition, err)
		}
		st := &store{db: db, files: files, opts: running, recovering: fresh, paced: paced, dir: dir, open: open, pending: map[string][]byte{}, spare: map[string][]byte{}, batch: new(leveldb.Batch), spareBatch: new(leveldb.Batch), iters: map[*storeIterator]struct{}{}}
		open.add(dir, st)
		return st, nil
	}
}

// staggered gives the store of each partition its own level-0 compaction
// trigger: 8 to 11 tables (LevelDB's default is 4 for all).
//
// Why apart: the partitions of a table take the same share of the writes,
// so their stores flush their memtables within a second of each other.
// With one trigger they also compacted level 0 into level 1 together: at
// 10,000 commands/s in `mallbots bench` the eight stores of the Customer
// aggregate flushed every 3.1 s and all compacted on every fourth flush.
// With the triggers apart the compactions drift apart instead of queueing
// together for tableWriters (p99 at 10,000/s 60 → 54 ms, one run each).
//
// Why 8 and not 4: commands reach random aggregates, so every level-0
// table spans the whole key range and every level-0 compaction rewrites
// all of level 1, which LevelDB lets grow to 100 MiB before it pushes
// anything to level 2. At 1,000,000 customers level 1 holds about 54 MiB
// per partition, so a compaction of 4 tables (8 MiB) wrote some 60 MiB;
// one of 8 to 11 writes about as much for two to three times the new
// data. A Get checks the bloom filters of the extra level-0 tables, which
// are in memory (aggregate alone at 1,000,000 customers, --stage-duration
// 20s: 30.4k and 24.5k → 35.3k, 34.7k and 28.3k commands/s).
//
// The stall triggers are raised to match (LevelDB slows writes at 8
// level-0 tables and stops them at 12 by default), so that a store waiting
// for its turn to compact does not throttle its writes.
func staggered(opts *opt.Options, partition int32) *opt.Options {
	o := *opts
	o.CompactionL0Trigger = 8 + int(partition)%4
	o.WriteL0SlowdownTrigger = 20
	o.WriteL0PauseTrigger = 24
	return &o
}

// empty says whether dir holds no LevelDB database yet.
func empty(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "CURRENT"))
	return errors.Is(err, fs.ErrNotExist)
}

// recoveryOptions are the options of a store that opened empty while goka
// recovers it from its table topic: level 0 is compacted only once it
// holds recoveryL0Trigger tables, and writes stall only far beyond that.
//
// Why: a recovery writes every snapshot of the topic, at random keys, and
// nothing reads the store until it is recovered. With the running
// options, every eight to eleven memtable flushes compacted level 0 into
// level 1, and each such compaction rewrote all of level 1, which grows
// with the recovery: the data was written several times over, through
// the one table writer a 2-core process has (tableWriters). A CPU profile
// of `mallbots run`'s cold start at 1,000,000 customers put LevelDB's
// compactions at 44 % of the process (docs/adr/0011, last amendment).
// settle merges what is left in level 0 once the recovery ends.
//
// Why not never: each level-0 table is an open file while level 0 is
// merged, and a recovery of a topic that holds several snapshots per key
// writes hundreds of tables per partition, in every store at once; the
// trigger and the stall bound the files a store holds.
func recoveryOptions(running *opt.Options) *opt.Options {
	o := *running
	o.CompactionL0Trigger = recoveryL0Trigger
	o.WriteL0SlowdownTrigger = 2 * recoveryL0Trigger
	o.WriteL0PauseTrigger = 3 * recoveryL0Trigger
	return &o
}

// recoveryL0Trigger is the level-0 compaction trigger of a store that
// recovers from empty: about 8 times the running one.
const recoveryL0Trigger = 64

// settle ends the recovery of a store that opened empty: it merges the
// level-0 tables the recovery wrote into the levels below in one
// compaction, then reopens the database with the running options (LevelDB
// takes its options only when it opens). An iterator opened during the
// recovery ends with an error: the database it read is closed.
func (s *store) settle() error {
	s.recovering = false
	if err := s.db.CompactRange(util.Range{}); err != nil {
		return fmt.Errorf("merge the local store %s after its recovery: %w", s.dir, err)
	}
	s.iterating.Lock()
	defer s.iterating.Unlock()
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	for it := range s.iters {
		it.end(fmt.Errorf("the local store %s reopened after its recovery under the iterator: iterate again", s.dir))
		delete(s.iters, it)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close the local store %s after its recovery: %w", s.dir, err)
	}
	db, err := leveldb.Open(bufferedTables{Storage: s.files, paced: s.paced}, s.opts)
	if err != nil {
		return fmt.Errorf("reopen the local store %s after its recovery: %w (remove it: goka recovers it from the topic)", s.dir, err)
	}
	s.db = db
	return nil
}

func (s *store) Open() error { return nil }

// Close ends the iterators still open, then closes the database: a
// LevelDB iterator is not to outlive its database (a Next after the Close
// reads released blocks and panics). An ended iterator answers as an
// exhausted one, and its Err says the store closed. Close does not wait
// for the iterators to be released instead: a view stops while its
// readers may hold one, and a reader that is slow to release it, or
// waits for the view, would hold the stop up.
func (s *store) Close() error {
	s.open.remove(s.dir, s)
	err := s.flush()
	s.iterating.Lock()
	s.closed = true
	iters := s.iters
	s.iters = nil
	s.iterating.Unlock()
	for it := range iters {
		it.end(fmt.Errorf("the local store %s closed during the iteration", s.dir))
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	return errors.Join(err, s.db.Close(), s.files.Close())
}

func (s *store) Has(key string) (bool, error) {
	v, err := s.Get(key)
	return v != nil, err
}

func (s *store) Get(key string) ([]byte, error) {
	s.mu.Lock()
	v, ok := s.pending[key]
	if !ok {
		v, ok = s.writing[key]
	}
	s.mu.Unlock()
	if ok {
		return v, nil
	}
	// A flush between the lookup above and this read only makes the
	// database newer, never older.
	s.dbMu.RLock()
	v, err := s.db.Get([]byte(key), nil)
	s.dbMu.RUnlock()
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %q from the local store: %w", key, err)
	}
	if v == nil {
		v = []byte{} // LevelDB reads an empty value as nil, which is none
	}
	return v, nil
}

func (s *store) Set(key string, value []byte) error {
	// A copy: goka may hand over a slice of a fetch response, which the
	// map would otherwise keep whole until the next flush.
	return s.write(key, bytes.Clone(value), func(b *leveldb.Batch) { b.Put([]byte(key), value) })
}

func (s *store) Delete(key string) error {
	return s.write(key, nil, func(b *leveldb.Batch) { b.Delete([]byte(key)) })
}

func (s *store) write(key string, value []byte, record func(*leveldb.Batch)) error {
	s.mu.Lock()
	s.pending[key] = value
	record(s.batch)
	s.bytes += len(key) + len(value)
	full := s.batch.Len() >= flushRecords || s.bytes >= flushBytes
	s.mu.Unlock()
	if full {
		return s.flush()
	}
	return nil
}

func (s *store) GetOffset(def int64) (int64, error) {
	s.mu.Lock()
	o := s.offset
	s.mu.Unlock()
	if o != 0 {
		return o, nil
	}
	s.dbMu.RLock()
	raw, err := s.db.Get([]byte(offsetKey), nil)
	s.dbMu.RUnlock()
	if errors.Is(err, leveldb.ErrNotFound) {
		return def, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the offset of the local store: %w", err)
	}
	o, err = strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("the local store's offset %q is not a number: %w", raw, err)
	}
	return o, nil
}

func (s *store) SetOffset(offset int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset, s.dirty = offset, true
	return nil
}

// applied is the offset of the last table record the store holds, -1 for
// none. Unlike GetOffset it tells a first SetOffset(0) from none.
func (s *store) applied() (int64, error) {
	s.mu.Lock()
	o, set := s.offset, s.offset != 0 || s.dirty
	s.mu.Unlock()
	if set {
		return o, nil
	}
	return s.GetOffset(-1)
}

func (s *store) MarkRecovered() error {
	if err := s.flush(); err != nil {
		return err
	}
	if s.recovering {
		if err := s.settle(); err != nil {
			return err
		}
	}
	s.paced.Store(true)
	return nil
}

func (s *store) Iterator() (storage.Iterator, error) {
	return s.IteratorWithRange(nil, nil)
}

func (s *store) IteratorWithRange(start, limit []byte) (storage.Iterator, error) {
	if err := s.flush(); err != nil {
		return nil, err
	}
	var r *util.Range
	switch {
	case len(limit) > 0:
		r = &util.Range{Start: start, Limit: limit}
	case len(start) > 0:
		r = util.BytesPrefix(start)
	}
	// Under iterating, so that Close either ends the iterator or comes
	// first and refuses it.
	s.iterating.Lock()
	defer s.iterating.Unlock()
	if s.closed {
		return nil, fmt.Errorf("the local store %s is closed", s.dir)
	}
	s.dbMu.RLock()
	it := &storeIterator{store: s, iter: s.db.NewIterator(r, nil)}
	s.dbMu.RUnlock()
	s.iters[it] = struct{}{}
	return it, nil
}

// flush applies the pending writes and the offset in one batch. Reads go
// on meanwhile, from the batch being written.
func (s *store) flush() error {
	s.flushing.Lock()
	defer s.flushing.Unlock()
	s.mu.Lock()
	if s.batch.Len() == 0 && !s.dirty {
		s.mu.Unlock()
		return nil
	}
	if s.dirty {
		s.batch.Put([]byte(offsetKey), strconv.AppendInt(nil, s.offset, 10))
	}
	batch := s.batch
	s.writing, s.pending, s.spare = s.pending, s.spare, nil
	s.batch, s.spareBatch = s.spareBatch, nil
	s.bytes, s.dirty = 0, false
	s.mu.Unlock()

	s.dbMu.RLock()
	err := s.db.Write(batch, nil)
	s.dbMu.RUnlock()
	records := batch.Len()
	batch.Reset() // LevelDB holds nothing of it once Write returns

	s.mu.Lock()
	clear(s.writing)
	s.spare, s.writing, s.spareBatch = s.writing, nil, batch
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("write %d records to the local store: %w", records, err)
	}
	return nil
}

// storeIterator hides the offset key, as goka's iterator does, and ends
// when its store closes (Close). Its calls and the store's Close run on
// different goroutines, so each holds mu. The key and value it hands out
// are copies it owns, which Close leaves alone: the caller may still be
// reading them when Close releases the LevelDB iterator, whose buffers
// LevelDB reuses for other reads.
type storeIterator struct {
	store *store

	mu    sync.Mutex
	iter  iterator.Iterator // nil once released or ended
	err   error             // why it ended early
	valid bool              // at a pair (key holds its key)
	key   []byte
	value []byte
}

func (i *storeIterator) Next() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.iter == nil {
		return false
	}
	ok := i.iter.Next()
	if ok && string(i.iter.Key()) == offsetKey {
		ok = i.iter.Next()
	}
	return i.at(ok)
}

func (i *storeIterator) Seek(key []byte) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.iter == nil {
		return false
	}
	ok := i.iter.Seek(key)
	if ok && string(i.iter.Key()) == offsetKey {
		ok = i.iter.Next()
	}
	return i.at(ok)
}

// at records where Next or Seek left the iterator. Holds mu.
func (i *storeIterator) at(ok bool) bool {
	i.valid = ok
	if ok {
		i.key = append(i.key[:0], i.iter.Key()...)
	}
	return ok
}

func (i *storeIterator) Key() []byte {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.iter == nil || !i.valid {
		return nil
	}
	return i.key
}

func (i *storeIterator) Value() ([]byte, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.iter == nil || !i.valid {
		return nil, i.err
	}
	v := i.iter.Value()
	if v == nil {
		return nil, nil
	}
	if i.value == nil {
		i.value = []byte{} // an empty value stays empty, not nil (none)
	}
	i.value = append(i.value[:0], v...)
	return i.value, nil
}

func (i *storeIterator) Err() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.err != nil || i.iter == nil {
		return i.err
	}
	return i.iter.Error()
}

func (i *storeIterator) Release() {
	if i.end(nil) {
		i.store.iterating.Lock()
		delete(i.store.iters, i)
		i.store.iterating.Unlock()
	}
}

// end releases the LevelDB iterator, if it is not yet, and keeps err as
// the reason; it reports whether it released it. It waits for a call in
// flight, never for the caller: Close ends iterators that are in use.
func (i *storeIterator) end(err error) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.iter == nil {
		return false
	}
	i.iter.Release()
	i.iter, i.err, i.valid = nil, err, false
	return true
}
