package gokart

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/lovoo/goka/storage"
)

// logStore is the local store of a processor's own table: an append-only
// log of the writes, in files of the store's directory, and an index in
// memory from each key to the record of its latest value (ADR 0013).
//
// Why not LevelDB, which the copies of other tables and the views keep: a
// processor reads the state of a random aggregate for every command, and
// in a log-structured merge tree a random key is looked for in every
// level-0 table (each spans the whole key range when keys arrive at
// random) and then in a table of each level below. At 1,000,000 customers
// that was 21 µs of CPU a Get, half of what a command cost. Here a Get is a
// map lookup and one pread of exactly the record.
//
// The index holds 128 bits of each key's hash, not the key: 32 bytes an
// entry with its position, about 37 MB for 1,000,000 aggregates. Two keys
// with the same 128-bit hash would need some 2^64 keys to be likely; a Get
// still compares the key its record holds and reports a mismatch rather
// than answer with another key's value.
//
// Crash safety is not this store's: after an unclean stop `mallbots run`
// removes the processors' own tables and goka rebuilds them from their
// topics (ADR 0005), because a processor's store can be ahead of its
// topic whatever the store. So nothing here is synced, a torn or
// corrupted file is an error that names the directory to remove, and the
// only ordering kept is that of a clean stop: every write, then the offset.
//
// Files are named by a number; a store opened again reads them in that
// order, the later record of a key winning. Writes are appended to the
// active file through a buffer; when the files hold more than twice what
// the index points to, the active file is closed to writes and the files
// before it are merged, in the background, into one file numbered between
// them and the next active file: only the records the index still points
// to are copied, and the index moves to the copy unless a newer write
// moved it first.
type logStore struct {
	dir   string
	seeds [2]maphash.Seed
	// mergeFloor: no merge before the files hold this much
	// (logMergeFloor; the specs lower it).
	mergeFloor int64

	// merging is held by the merge in flight; Close waits for it.
	merging sync.Mutex

	mu       sync.RWMutex
	index    map[keyHash]entry
	files    map[uint32]*os.File
	active   uint32
	size     int64  // bytes of the active file written to it
	buf      []byte // bytes of the active file not yet written (from size on)
	live     int64  // bytes of the records the index points to
	total    int64  // bytes of every file, buf included
	offset   int64
	hasOff   bool
	offDirty bool  // offset not yet in the log
	err      error // a failed write: the store refuses everything after it
	closed   bool
	lock     *os.File // flocked while open
}

type keyHash [2]uint64

// entry is where a key's latest record is.
type entry struct {
	file uint32
	size uint32
	off  int64
}

const (
	recPut    byte = 1
	recDelete byte = 2
	recOffset byte = 3
)

// Records are crc32c (of the rest) | kind | uvarint key length | uvarint
// value length | key | value. An offset record has no key and the offset
// as its value, in decimal.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const (
	logFlushBytes = 128 << 10 // the buffer is written to the file past this
	logMergeFloor = 16 << 20  // no merge before the files hold this much
	logSuffix     = ".log"
	mergeSuffix   = ".merging"
)

func openLogStore(dir string) (*logStore, error) {
	// A processor's table kept by LevelDB (before ADR 0013) is dropped:
	// the store is a cache of its topic, which goka reads from the start
	// into a store without an offset.
	if _, err := os.Stat(filepath.Join(dir, "CURRENT")); err == nil {
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("open the local store %s: %w (is another mallbots using this state directory?)", dir, err)
	}
	s := &logStore{dir: dir, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		index: map[keyHash]entry{}, files: map[uint32]*os.File{}, lock: lock, mergeFloor: logMergeFloor}
	if err := s.loadAll(); err != nil {
		lock.Close()
		return nil, err
	}
	return s, nil
}

// loadAll reads the store's files into the index and starts an active
// file after them.
func (s *logStore) loadAll() error {
	dir := s.dir
	names, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var ids []uint32
	for _, n := range names {
		name := n.Name()
		switch {
		case strings.HasSuffix(name, mergeSuffix):
			// A merge a clean stop waited for never leaves one: this is
			// from a stop that was not clean. The files it came from are
			// all still there.
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return err
			}
		case strings.HasSuffix(name, logSuffix):
			id, err := strconv.ParseUint(strings.TrimSuffix(name, logSuffix), 10, 32)
			if err != nil {
				return fmt.Errorf("the local store %s holds %s, which it did not write: remove the directory (goka recovers it from the topic)", dir, name)
			}
			ids = append(ids, uint32(id))
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.load(id); err != nil {
			s.closeFiles()
			return err
		}
	}
	next := uint32(1)
	if len(ids) > 0 {
		next = ids[len(ids)-1] + 1
	}
	if err := s.startActive(next); err != nil {
		s.closeFiles()
		return err
	}
	return nil
}

func (s *logStore) path(id uint32) string {
	return filepath.Join(s.dir, fmt.Sprintf("%010d%s", id, logSuffix))
}

// load reads file id into the index.
func (s *logStore) load(id uint32) error {
	f, err := os.Open(s.path(id))
	if err != nil {
		return err
	}
	s.files[id] = f
	size, err := scanRecords(f, func(off int64, kind byte, key, value, rec []byte) error {
		switch kind {
		case recPut:
			s.put(s.hashBytes(key), entry{file: id, size: uint32(len(rec)), off: off})
		case recDelete:
			s.drop(s.hashBytes(key))
		case recOffset:
			o, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil {
				return fmt.Errorf("the offset %q", value)
			}
			s.offset, s.hasOff = o, true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("the local store %s is damaged in %s (%v): remove the directory (goka recovers it from the topic)", s.dir, filepath.Base(s.path(id)), err)
	}
	s.total += size
	return nil
}

// scanRecords calls fn with each record of f and its offset, reading f a
// chunk at a time: a store's files are as large as its table, and every
// store of a process may be opened or merged at once. It returns the
// size of f.
func scanRecords(f io.ReaderAt, fn func(off int64, kind byte, key, value, rec []byte) error) (int64, error) {
	buf := make([]byte, 0, 1<<20)
	var base int64 // f's offset of buf[0]
	eof := false
	for {
		// Parse what is whole in buf.
		p := 0
		for p < len(buf) {
			kind, key, value, n, err := parseRecord(buf[p:])
			if errors.Is(err, errTorn) && !eof {
				break // the rest is in the next chunk
			}
			if err != nil {
				return 0, fmt.Errorf("at byte %d: %w", base+int64(p), err)
			}
			if err := fn(base+int64(p), kind, key, value, buf[p:p+n]); err != nil {
				return 0, fmt.Errorf("at byte %d: %w", base+int64(p), err)
			}
			p += n
		}
		if eof {
			return base + int64(p), nil
		}
		// Keep the unparsed tail, then read more after it; a record
		// longer than the buffer grows it.
		rest := copy(buf, buf[p:])
		base += int64(p)
		buf = buf[:rest]
		if rest == cap(buf) {
			buf = slices.Grow(buf, cap(buf))
		}
		n, err := f.ReadAt(buf[rest:cap(buf)], base+int64(rest))
		buf = buf[:rest+n]
		if errors.Is(err, io.EOF) {
			eof = true
		} else if err != nil {
			return 0, err
		}
	}
}

func (s *logStore) startActive(id uint32) error {
	f, err := os.OpenFile(s.path(id), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create a file of the local store: %w", err)
	}
	s.files[id], s.active, s.size = f, id, 0
	return nil
}

func (s *logStore) hash(key string) keyHash {
	return keyHash{maphash.String(s.seeds[0], key), maphash.String(s.seeds[1], key)}
}

// hashBytes is hash of a key read from a file, without copying it into a
// string (maphash hashes equal bytes and strings alike).
func (s *logStore) hashBytes(key []byte) keyHash {
	return keyHash{maphash.Bytes(s.seeds[0], key), maphash.Bytes(s.seeds[1], key)}
}

// put points the index at e; mu must be held for writing.
func (s *logStore) put(h keyHash, e entry) {
	if old, ok := s.index[h]; ok {
		s.live -= int64(old.size)
	}
	s.index[h] = e
	s.live += int64(e.size)
}

func (s *logStore) drop(h keyHash) {
	if old, ok := s.index[h]; ok {
		s.live -= int64(old.size)
		delete(s.index, h)
	}
}

func appendRecord[K string | []byte](b []byte, kind byte, key K, value []byte) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, kind)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = binary.AppendUvarint(b, uint64(len(value)))
	b = append(b, key...)
	b = append(b, value...)
	binary.LittleEndian.PutUint32(b[start:], crc32.Checksum(b[start+4:], castagnoli))
	return b
}

var errTorn = errors.New("a record is cut short")

// parseRecord reads the record at the start of b and returns its length.
func parseRecord(b []byte) (kind byte, key, value []byte, n int, err error) {
	if len(b) < 7 {
		return 0, nil, nil, 0, errTorn
	}
	p := 5
	kl, k := binary.Uvarint(b[p:])
	if k <= 0 {
		return 0, nil, nil, 0, errTorn
	}
	p += k
	vl, k := binary.Uvarint(b[p:])
	if k <= 0 {
		return 0, nil, nil, 0, errTorn
	}
	p += k
	// Each length on its own first: a damaged one can be near 2^64, and
	// their sum would wrap.
	if rest := uint64(len(b) - p); kl > rest || vl > rest-kl {
		return 0, nil, nil, 0, errTorn
	}
	n = p + int(kl+vl)
	if crc32.Checksum(b[4:n], castagnoli) != binary.LittleEndian.Uint32(b) {
		return 0, nil, nil, 0, errors.New("a record's checksum does not match")
	}
	return b[4], b[p : p+int(kl)], b[p+int(kl) : n], n, nil
}

func (s *logStore) Open() error { return nil }

func (s *logStore) Has(key string) (bool, error) {
	v, err := s.Get(key)
	return v != nil, err
}

func (s *logStore) Get(key string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.err != nil {
		return nil, s.err
	}
	if s.closed {
		return nil, fmt.Errorf("the local store %s is closed", s.dir)
	}
	e, ok := s.index[s.hash(key)]
	if !ok {
		return nil, nil
	}
	// The record is read into a buffer of its own, which the value
	// returned may keep; one still in the write buffer, which is written
	// over, is copied out of it.
	var rec []byte
	if e.file == s.active && e.off >= s.size {
		rec = slices.Clone(s.buf[e.off-s.size : e.off-s.size+int64(e.size)])
	} else {
		rec = make([]byte, e.size)
		if _, err := s.files[e.file].ReadAt(rec, e.off); err != nil {
			return nil, fmt.Errorf("read %q from the local store %s: %w", key, s.dir, err)
		}
	}
	_, k, v, _, err := parseRecord(rec)
	if err != nil {
		return nil, fmt.Errorf("read %q from the local store %s: %w", key, s.dir, err)
	}
	if string(k) != key {
		return nil, fmt.Errorf("the local store %s found %q where %q should be: their hashes collide; remove the directory (goka recovers it from the topic)", s.dir, k, key)
	}
	return v, nil
}

func (s *logStore) Set(key string, value []byte) error {
	if value == nil {
		return fmt.Errorf("set %q in the local store %s: a nil value (delete it instead)", key, s.dir)
	}
	return s.append(recPut, key, value)
}

func (s *logStore) Delete(key string) error { return s.append(recDelete, key, nil) }

func (s *logStore) append(kind byte, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return fmt.Errorf("the local store %s is closed", s.dir)
	}
	off := s.size + int64(len(s.buf))
	s.buf = appendRecord(s.buf, kind, key, value)
	n := s.size + int64(len(s.buf)) - off
	s.total += n
	if kind == recPut {
		s.put(s.hash(key), entry{file: s.active, size: uint32(n), off: off})
	} else {
		s.drop(s.hash(key))
	}
	if len(s.buf) >= logFlushBytes {
		return s.flushLocked()
	}
	return nil
}

func (s *logStore) GetOffset(def int64) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.hasOff {
		return def, nil
	}
	return s.offset, nil
}

func (s *logStore) SetOffset(offset int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset, s.hasOff, s.offDirty = offset, true, true
	return nil
}

func (s *logStore) MarkRecovered() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

// flushLocked writes the buffer, with the offset after the writes it
// follows, to the active file, and starts a merge when the files hold
// more than twice what is live. mu must be held for writing.
func (s *logStore) flushLocked() error {
	if s.err != nil {
		return s.err
	}
	if s.offDirty {
		n := len(s.buf)
		s.buf = appendRecord(s.buf, recOffset, "", strconv.AppendInt(nil, s.offset, 10))
		s.total += int64(len(s.buf) - n)
		s.offDirty = false
	}
	if len(s.buf) == 0 {
		return nil
	}
	if _, err := s.files[s.active].WriteAt(s.buf, s.size); err != nil {
		s.err = fmt.Errorf("write to the local store %s: %w", s.dir, err)
		return s.err
	}
	s.size += int64(len(s.buf))
	s.buf = s.buf[:0]
	if s.total > s.mergeFloor && s.total > 2*s.live && !s.closed && s.merging.TryLock() {
		if err := s.rotateLocked(); err != nil {
			s.merging.Unlock()
			return err
		}
	}
	return nil
}

// rotateLocked closes the active file to writes and merges it and the
// files before it in the background. mu and merging are held.
func (s *logStore) rotateLocked() error {
	var inputs []uint32
	for id := range s.files {
		inputs = append(inputs, id)
	}
	slices.Sort(inputs)
	out := s.active + 1
	if err := s.startActive(s.active + 2); err != nil {
		s.err = err
		return err
	}
	offset, hasOff := s.offset, s.hasOff
	go func() {
		defer s.merging.Unlock()
		// A merge is a compaction: it takes a turn with the LevelDB
		// stores' table writers, so that merges and compactions together
		// keep at most half the CPUs (tablefiles.go).
		tableWriters <- struct{}{}
		defer func() { <-tableWriters }()
		if err := s.merge(inputs, out, offset, hasOff); err != nil {
			s.mu.Lock()
			if s.err == nil {
				s.err = err
			}
			s.mu.Unlock()
		}
	}()
	return nil
}

type move struct {
	h        keyHash
	from, to entry
}

// merge copies the records of inputs the index points to into file out,
// then points the index at the copies it still points to the originals
// of, and removes inputs. offset is the store's offset when the inputs
// were closed to writes: the merged file carries it, as the last of them
// did.
func (s *logStore) merge(inputs []uint32, out uint32, offset int64, hasOff bool) error {
	tmp := strings.TrimSuffix(s.path(out), logSuffix) + mergeSuffix
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("merge the local store %s: %w", s.dir, err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("merge the local store %s: %w", s.dir, err)
	}
	var (
		moves   []move
		written int64
		buf     []byte
	)
	for _, id := range inputs {
		s.mu.RLock()
		src := s.files[id]
		s.mu.RUnlock()
		_, err := scanRecords(src, func(off int64, kind byte, key, _, rec []byte) error {
			if kind != recPut {
				return nil
			}
			h := s.hashBytes(key)
			from := entry{file: id, size: uint32(len(rec)), off: off}
			s.mu.RLock()
			still := s.index[h] == from
			s.mu.RUnlock()
			if !still {
				return nil
			}
			moves = append(moves, move{h, from, entry{file: out, size: from.size, off: written + int64(len(buf))}})
			buf = append(buf, rec...)
			if len(buf) >= 1<<20 {
				if _, err := f.WriteAt(buf, written); err != nil {
					return err
				}
				written += int64(len(buf))
				buf = buf[:0]
			}
			return nil
		})
		if err != nil {
			return fail(fmt.Errorf("%s: %w", filepath.Base(s.path(id)), err))
		}
	}
	if hasOff {
		buf = appendRecord(buf, recOffset, "", strconv.AppendInt(nil, offset, 10))
	}
	if _, err := f.WriteAt(buf, written); err != nil {
		return fail(err)
	}
	written += int64(len(buf))
	if err := os.Rename(tmp, s.path(out)); err != nil {
		return fail(err)
	}

	s.mu.Lock()
	for _, m := range moves {
		if s.index[m.h] == m.from {
			s.index[m.h] = m.to
		}
	}
	var gone []*os.File
	for _, id := range inputs {
		gone = append(gone, s.files[id])
		delete(s.files, id)
	}
	s.files[out] = f
	// Every file but the active one was an input.
	s.total = written + s.size + int64(len(s.buf))
	s.mu.Unlock()

	var errs []error
	for i, g := range gone {
		errs = append(errs, g.Close(), os.Remove(s.path(inputs[i])))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("merge the local store %s: remove the merged files: %w", s.dir, err)
	}
	return nil
}

// Close waits for a merge in flight, writes what is buffered and the
// offset, and closes the files. An active file that got nothing is
// removed.
func (s *logStore) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.merging.Lock()
	defer s.merging.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.flushLocked()
	if s.size == 0 && len(s.buf) == 0 {
		if f := s.files[s.active]; f != nil {
			f.Close()
			delete(s.files, s.active)
			os.Remove(s.path(s.active))
		}
	}
	return errors.Join(err, s.closeFiles(), s.lock.Close())
}

func (s *logStore) closeFiles() error {
	var errs []error
	for id, f := range s.files {
		errs = append(errs, f.Close())
		delete(s.files, id)
	}
	return errors.Join(errs...)
}

// Iterator reads every live record, in key order. Nothing on a hot path
// iterates a processor's own table (the views iterate theirs, which are
// LevelDB), so it reads the files rather than keep the keys in memory.
func (s *logStore) Iterator() (storage.Iterator, error) { return s.IteratorWithRange(nil, nil) }

// IteratorWithRange iterates over the keys from start (inclusive) to
// limit (exclusive); with no limit, over the keys that start with start,
// as the LevelDB stores do.
func (s *logStore) IteratorWithRange(start, limit []byte) (storage.Iterator, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.flushLocked(); err != nil {
		return nil, err
	}
	in := func(k string) bool {
		switch {
		case len(limit) > 0:
			return k >= string(start) && k < string(limit)
		default:
			return strings.HasPrefix(k, string(start))
		}
	}
	var kvs []kv
	for id, f := range s.files {
		_, err := scanRecords(f, func(off int64, kind byte, key, value, rec []byte) error {
			if kind == recPut && in(string(key)) && s.index[s.hashBytes(key)] == (entry{file: id, size: uint32(len(rec)), off: off}) {
				kvs = append(kvs, kv{string(key), slices.Clone(value)})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("iterate the local store %s: %w", s.dir, err)
		}
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].k < kvs[j].k })
	return &sliceIterator{kvs: kvs, i: -1}, nil
}

type kv struct {
	k string
	v []byte
}

type sliceIterator struct {
	kvs []kv
	i   int
}

func (it *sliceIterator) Next() bool {
	if it.i < len(it.kvs) {
		it.i++
	}
	return it.i < len(it.kvs)
}

func (it *sliceIterator) Err() error { return nil }

func (it *sliceIterator) Key() []byte {
	if it.i < 0 || it.i >= len(it.kvs) {
		return nil
	}
	return []byte(it.kvs[it.i].k)
}

func (it *sliceIterator) Value() ([]byte, error) {
	if it.i < 0 || it.i >= len(it.kvs) {
		return nil, nil
	}
	return it.kvs[it.i].v, nil
}

func (it *sliceIterator) Release() { it.kvs = nil }

// Seek moves to the first key at or after key, and says whether there is
// one.
func (it *sliceIterator) Seek(key []byte) bool {
	it.i = sort.Search(len(it.kvs), func(i int) bool { return it.kvs[i].k >= string(key) })
	return it.i < len(it.kvs)
}
