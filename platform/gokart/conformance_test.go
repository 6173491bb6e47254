package gokart

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lovoo/goka/storage"
	"pgregory.net/rapid"
)

// The rules every goka storage.Storage of this package keeps, run against
// each implementation: the log store (a processor's own table, ADR 0013)
// and the batched LevelDB store (the copies of other tables, the views).
//
// Offsets are set from 1 on: goka's own LevelDB storage, and the batched
// store after it, take an offset of 0 for none until it is written out
// (store.go), which a Kafka offset of 0 re-read from the topic makes
// harmless. The suite does not Set nil values either: goka never does, and
// the log store refuses them.

// storeUnderTest is how the suite opens and inspects one implementation.
type storeUnderTest struct {
	name string
	// open opens the store kept in dir, creating it if need be.
	open func(dir string) (storage.Storage, error)
	// busy makes the store do its background work (merges, compactions)
	// within the few MB the suite writes.
	busy func(st storage.Storage)
	// background tells whether background work has run on st so far: the
	// specs that are about it fail if it did not.
	background func(st storage.Storage, dir string) bool
	// damageFailsOpen: the store documents that a damaged file is an error
	// at open (the log store: "a torn or corrupted file is an error that
	// names the directory to remove"). Without it a damaged store may also
	// open at an older offset, with what it held there (LevelDB drops a
	// torn journal tail, store.go: "consistent at an older offset"), or
	// fail the reads the damage reaches (a table block's checksum).
	damageFailsOpen bool
}

func storesUnderTest() []storeUnderTest {
	return []storeUnderTest{
		{
			name: "log",
			open: func(dir string) (storage.Storage, error) { return openLogStore(dir) },
			busy: func(st storage.Storage) { st.(*logStore).mergeFloor = 32 << 10 },
			background: func(_ storage.Storage, dir string) bool {
				// A merge starts a new active file past its output: a
				// store that never merged has one file.
				m, _ := filepath.Glob(filepath.Join(dir, "*"+logSuffix))
				return len(m) >= 2
			},
			damageFailsOpen: true,
		},
		{
			name: "leveldb",
			// A write buffer of 512 KiB: tables are written and compacted
			// within the suite's writes, and each table file is still
			// larger than the buffer its writer keeps (tablefiles.go).
			open: func(dir string) (storage.Storage, error) {
				topic, part, _ := strings.Cut(filepath.Base(dir), ".")
				p, err := strconv.ParseInt(part, 10, 32)
				if err != nil {
					return nil, err
				}
				st, err := storeBuilder(filepath.Dir(dir), leveldbOptions(512<<10), nil)(topic, int32(p))
				if err != nil {
					return nil, err
				}
				// A running store, as goka hands it to a processor once
				// recovered: a store opened empty compacts nothing until
				// then (recoveryOptions; its own spec in store_test.go).
				return st, st.MarkRecovered()
			},
			busy: func(storage.Storage) {},
			background: func(st storage.Storage, _ string) bool {
				// A compaction moves level 0 to the levels below.
				for l := 1; l < 7; l++ {
					n, err := st.(*store).db.GetProperty(fmt.Sprintf("leveldb.num-files-at-level%d", l))
					if err == nil && n != "0" {
						return true
					}
				}
				return false
			},
		},
	}
}

func TestStorageConformance(t *testing.T) {
	for _, s := range storesUnderTest() {
		t.Run(s.name, func(t *testing.T) { conformance(t, s) })
	}
}

func conformance(t *testing.T, s storeUnderTest) {
	t.Run("ReadsWritesDeletesOffsetsReopensAndIterationsAgreeWithAMap", func(t *testing.T) { t.Parallel(); specModel(t, s) })
	t.Run("RandomWritesAgreeWithAMapThroughBackgroundWorkAndAReopen", func(t *testing.T) { t.Parallel(); specVolume(t, s) })
	t.Run("ReadersNeverSeeAValueOlderThanTheLastWrittenWhileWritesAndBackgroundWorkGoOn", func(t *testing.T) { t.Parallel(); specConcurrentReaders(t, s) })
	t.Run("ACloseWhileWorkIsInFlightReturnsAndKeepsWhatWasWrittenBeforeIt", func(t *testing.T) { t.Parallel(); specCloseInFlight(t, s) })
	t.Run("ADamagedFileFailsOrReadsAsTheStoreAtAnOffsetItHeld", func(t *testing.T) { t.Parallel(); specDamage(t, s) })
	t.Run("AStoreIsOpenOnceAtATime", func(t *testing.T) { specOpenOnce(t, s) })
	t.Run("AnIteratorOpenAcrossACloseEndsWithoutAPanic", func(t *testing.T) { specIteratorAcrossClose(t, s) })
}

// storeDirFor is a new store directory, named as storeDir names them.
func storeDirFor(t *testing.T) string {
	return storeDir(t.TempDir(), "table", 0)
}

func mustOpen(t *testing.T, s storeUnderTest, dir string) storage.Storage {
	t.Helper()
	st, err := s.open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Open(); err != nil {
		t.Fatal(err)
	}
	return st
}

// collect reads an iterator to its end.
func collect(it storage.Iterator) ([][2]string, error) {
	defer it.Release()
	var kvs [][2]string
	for it.Next() {
		v, err := it.Value()
		if err != nil {
			return kvs, err
		}
		kvs = append(kvs, [2]string{string(it.Key()), string(v)})
	}
	return kvs, it.Err()
}

// inRange is what IteratorWithRange(start, limit) covers: [start, limit),
// or with no limit the keys that start with start (goka's LevelDB store).
func inRange(k, start, limit string) bool {
	if limit != "" {
		return k >= start && k < limit
	}
	return strings.HasPrefix(k, start)
}

func modelRange(m map[string]string, start, limit string) [][2]string {
	var kvs [][2]string
	for k, v := range m {
		if inRange(k, start, limit) {
			kvs = append(kvs, [2]string{k, v})
		}
	}
	slices.SortFunc(kvs, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return kvs
}

// specModel: random Set, Delete, Get, Has, SetOffset, GetOffset,
// iterations (whole, by prefix, by range, with Seek) and reopens, each
// compared with a map. Values read, and values handed to Set, are the
// caller's: later writes do not change the first, and changing the
// second does not change the store.
func specModel(t *testing.T, s storeUnderTest) {
	keys := []string{"a", "ab", "abc", "b", "ba", "k1", "k2", "k3", "k10", "z"}
	bounds := []string{"", "a", "ab", "b", "k", "k2", "k3", "z", "zz"}
	rapid.Check(t, func(rt *rapid.T) {
		dir := storeDir(t.TempDir(), "table", 0)
		st, err := s.open(dir)
		if err != nil {
			rt.Fatal(err)
		}
		defer func() { st.Close() }()
		model := map[string]string{}
		offset := int64(-1)
		type kept struct{ got, want []byte }
		var reads []kept
		check := func(what string, got, want any) {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				rt.Fatalf("%s: got %v, want %v", what, got, want)
			}
		}
		rt.Repeat(map[string]func(*rapid.T){
			"Set": func(rt *rapid.T) {
				k := rapid.SampledFrom(keys).Draw(rt, "key")
				v := append([]byte{}, rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(rt, "value")...)
				if rapid.IntRange(0, 30).Draw(rt, "large") == 0 {
					v = bytes.Repeat([]byte{byte(len(model))}, 200<<10) // past the log's write buffer
				}
				if err := st.Set(k, v); err != nil {
					rt.Fatal(err)
				}
				model[k] = string(v)
				for i := range v {
					v[i] = 0xAA // the caller's buffer, reused
				}
			},
			"Delete": func(rt *rapid.T) {
				k := rapid.SampledFrom(keys).Draw(rt, "key")
				if err := st.Delete(k); err != nil {
					rt.Fatal(err)
				}
				delete(model, k)
			},
			"Get": func(rt *rapid.T) {
				k := rapid.SampledFrom(keys).Draw(rt, "key")
				v, err := st.Get(k)
				if err != nil {
					rt.Fatal(err)
				}
				want, ok := model[k]
				if !ok {
					if v != nil {
						rt.Fatalf("Get(%q) = %q, want nil: it was never set or deleted", k, v)
					}
					return
				}
				if v == nil || string(v) != want {
					rt.Fatalf("Get(%q) = %.20q (nil %t), want %.20q", k, v, v == nil, want)
				}
				reads = append(reads, kept{v, []byte(want)})
			},
			"Has": func(rt *rapid.T) {
				k := rapid.SampledFrom(keys).Draw(rt, "key")
				has, err := st.Has(k)
				if err != nil {
					rt.Fatal(err)
				}
				_, want := model[k]
				check(fmt.Sprintf("Has(%q)", k), has, want)
			},
			"SetOffset": func(rt *rapid.T) {
				o := rapid.Int64Range(1, 1<<40).Draw(rt, "offset")
				if err := st.SetOffset(o); err != nil {
					rt.Fatal(err)
				}
				offset = o
			},
			"GetOffset": func(rt *rapid.T) {
				def := rapid.Int64Range(-3, 0).Draw(rt, "default")
				o, err := st.GetOffset(def)
				if err != nil {
					rt.Fatal(err)
				}
				want := offset
				if want < 0 {
					want = def
				}
				check("GetOffset", o, want)
			},
			"Iterate": func(rt *rapid.T) {
				start := rapid.SampledFrom(bounds).Draw(rt, "start")
				limit := rapid.SampledFrom(bounds).Draw(rt, "limit")
				var it storage.Iterator
				var err error
				if start == "" && limit == "" && rapid.Bool().Draw(rt, "Iterator") {
					it, err = st.Iterator()
				} else {
					it, err = st.IteratorWithRange([]byte(start), []byte(limit))
				}
				if err != nil {
					rt.Fatal(err)
				}
				got, err := collect(it)
				if err != nil {
					rt.Fatal(err)
				}
				check(fmt.Sprintf("IteratorWithRange(%q, %q)", start, limit), got, modelRange(model, start, limit))
			},
			"Seek": func(rt *rapid.T) {
				start := rapid.SampledFrom(bounds).Draw(rt, "start")
				limit := rapid.SampledFrom(bounds).Draw(rt, "limit")
				to := rapid.SampledFrom(bounds).Draw(rt, "to")
				it, err := st.IteratorWithRange([]byte(start), []byte(limit))
				if err != nil {
					rt.Fatal(err)
				}
				want := slices.DeleteFunc(modelRange(model, start, limit), func(kv [2]string) bool { return kv[0] < to })
				found := it.Seek([]byte(to))
				check(fmt.Sprintf("Seek(%q) in [%q, %q)", to, start, limit), found, len(want) > 0)
				if found {
					check(fmt.Sprintf("the key after Seek(%q)", to), string(it.Key()), want[0][0])
				}
				it.Release()
			},
			"Reopen": func(rt *rapid.T) {
				if err := st.Close(); err != nil {
					rt.Fatal(err)
				}
				if st, err = s.open(dir); err != nil {
					rt.Fatal(err)
				}
			},
		})
		for _, r := range reads {
			if !bytes.Equal(r.got, r.want) {
				rt.Fatalf("a value read earlier changed to %.20q under later writes, want %.20q", r.got, r.want)
			}
		}
	})
}

// specVolume: 40,000 random writes, deletes and reads over 500 keys,
// enough for the background work to run many times, compared with a map;
// then again after a close and a reopen, by Get and by iteration.
func specVolume(t *testing.T, s storeUnderTest) {
	dir := storeDirFor(t)
	st := mustOpen(t, s, dir)
	s.busy(st)
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	model := map[string]string{}
	const ops = 40_000
	for i := range ops {
		k := fmt.Sprintf("customer-%04d", rng.IntN(500))
		switch r := rng.IntN(10); {
		case r < 6:
			v := strings.Repeat(string(rune('a'+i%26)), 50+rng.IntN(400))
			if err := st.Set(k, []byte(v)); err != nil {
				t.Fatal(err)
			}
			model[k] = v
		case r < 7:
			if err := st.Delete(k); err != nil {
				t.Fatal(err)
			}
			delete(model, k)
		default:
			if got := mustGet(t, st, k); got != model[k] {
				t.Fatalf("op %d: %s is %d bytes, want %d", i, k, len(got), len(model[k]))
			}
		}
		if err := st.SetOffset(int64(i + 1)); err != nil {
			t.Fatal(err)
		}
	}
	if !s.background(st, dir) {
		t.Fatal("no background work ran: the spec did not test what it is for")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = mustOpen(t, s, dir)
	defer st.Close()
	for k, want := range model {
		if got := mustGet(t, st, k); got != want {
			t.Errorf("after a reopen %s is %d bytes, want %d", k, len(got), len(want))
		}
	}
	if o, _ := st.GetOffset(-1); o != ops {
		t.Errorf("after a reopen the offset is %d, want %d", o, ops)
	}
	it, err := st.Iterator()
	if err != nil {
		t.Fatal(err)
	}
	got, err := collect(it)
	if err != nil {
		t.Fatal(err)
	}
	if want := modelRange(model, "", ""); !slices.Equal(got, want) {
		t.Errorf("after a reopen the iterator gave %d pairs, want the %d of the map in key order", len(got), len(want))
	}
}

// specConcurrentReaders: readers by Get, Has and iterators, next to a
// writer that rewrites 64 keys with growing numbers while the background
// work runs (go test -race): no reader sees a key's value older than the
// last one written before its read began.
func specConcurrentReaders(t *testing.T, s storeUnderTest) {
	dir := storeDirFor(t)
	st := mustOpen(t, s, dir)
	defer st.Close()
	s.busy(st)
	const keys = 64
	var latest [keys]atomic.Int64
	num := func(v []byte) int64 {
		n, _ := strconv.ParseInt(string(bytes.Fields(v)[0]), 10, 64)
		return n
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	reader := func(read func(rng *rand.Rand) error) {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(rand.Uint64(), 0))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := read(rng); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 2 {
		reader(func(rng *rand.Rand) error {
			k := rng.IntN(keys)
			floor := latest[k].Load()
			v, err := st.Get(fmt.Sprint("k", k))
			if err != nil {
				return err
			}
			if floor > 0 && (v == nil || num(v) < floor) {
				return fmt.Errorf("k%d read %q after %d was written", k, v, floor)
			}
			return nil
		})
	}
	reader(func(rng *rand.Rand) error {
		k := rng.IntN(keys)
		floor := latest[k].Load()
		has, err := st.Has(fmt.Sprint("k", k))
		if err != nil {
			return err
		}
		if floor > 0 && !has {
			return fmt.Errorf("Has(k%d) is false after %d was written", k, floor)
		}
		return nil
	})
	reader(func(rng *rand.Rand) error {
		var floors [keys]int64
		for k := range floors {
			floors[k] = latest[k].Load()
		}
		it, err := st.Iterator()
		if err != nil {
			return err
		}
		kvs, err := collect(it)
		if err != nil {
			return err
		}
		seen := map[string]int64{}
		for _, kv := range kvs {
			seen[kv[0]] = num([]byte(kv[1]))
		}
		for k, floor := range floors {
			if got := seen[fmt.Sprint("k", k)]; floor > 0 && got < floor {
				return fmt.Errorf("an iterator gave k%d = %d after %d was written", k, got, floor)
			}
		}
		time.Sleep(10 * time.Millisecond) // an iteration flushes: leave the writer room
		return nil
	})
	pad := strings.Repeat(".", 300)
	for i := int64(1); i <= 40_000; i++ {
		k := i % keys
		if err := st.Set(fmt.Sprint("k", k), fmt.Appendf(nil, "%d %s", i, pad)); err != nil {
			t.Fatal(err)
		}
		latest[k].Store(i)
		if err := st.SetOffset(i); err != nil {
			t.Fatal(err)
		}
	}
	background := s.background(st, dir)
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if !background {
		t.Fatal("no background work ran: the spec did not test what it is for")
	}
}

// specCloseInFlight: Close, called while writers, readers and iterators
// are busy and the background work runs, returns (within a minute: no
// deadlock) without a panic; the work after it fails or is lost, never
// panics; and a reopen holds every write that returned before Close was
// called (or a later write of its key).
func specCloseInFlight(t *testing.T, s storeUnderTest) {
	dir := storeDirFor(t)
	st := mustOpen(t, s, dir)
	s.busy(st)
	const writers, keys = 2, 32
	var acked [writers][keys]atomic.Int64
	var written atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	pad := strings.Repeat(".", 300)
	for w := range writers {
		wg.Go(func() {
			for i := int64(1); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := int(i % keys)
				if err := st.Set(fmt.Sprintf("w%d-k%d", w, k), fmt.Appendf(nil, "%d %s", i, pad)); err != nil {
					return // closed
				}
				acked[w][k].Store(i)
				written.Add(1)
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := st.Get(fmt.Sprintf("w%d-k%d", i%writers, i%keys)); err != nil {
					return
				}
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			it, err := st.Iterator()
			if err != nil {
				return
			}
			it.Next()
			time.Sleep(time.Millisecond) // still open when the store closes, at times
			for it.Next() {
			}
			it.Release()
		}
	})
	for written.Load() < 20_000 {
		time.Sleep(time.Millisecond)
	}
	var floors [writers][keys]int64
	for w := range writers {
		for k := range keys {
			floors[w][k] = acked[w][k].Load()
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	var closeErr error
	select {
	case closeErr = <-closed:
	case <-time.After(time.Minute):
		t.Fatal("Close did not return within a minute while work was in flight")
	}
	close(stop)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the work in flight did not end within a minute of the Close")
	}
	if closeErr != nil {
		t.Fatalf("Close: %v", closeErr)
	}
	st = mustOpen(t, s, dir)
	defer st.Close()
	for w := range writers {
		for k := range keys {
			v := mustGet(t, st, fmt.Sprintf("w%d-k%d", w, k))
			n, _ := strconv.ParseInt(strings.Fields(v + " 0")[0], 10, 64)
			if n < floors[w][k] {
				t.Errorf("w%d-k%d after a reopen is %d, want at least %d: it was written before the Close", w, k, n, floors[w][k])
			}
		}
	}
}

// specDamage: each file of a closed store, cut short (a torn tail) or with
// a byte in its middle flipped, is opened: the open fails, or the store
// reads (where it does not fail) as the writes up to the offset it
// reports; never a panic, never another key's value or a value from past
// its offset.
func specDamage(t *testing.T, s storeUnderTest) {
	dir := storeDirFor(t)
	st := mustOpen(t, s, dir)
	s.busy(st)
	type op struct {
		key, value string
		del        bool
	}
	var ops []op
	rng := rand.New(rand.NewPCG(7, 7))
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%03d", i)
	}
	for i := range 6_000 {
		o := op{key: keys[rng.IntN(len(keys))]}
		if rng.IntN(8) == 0 {
			o.del = true
			if err := st.Delete(o.key); err != nil {
				t.Fatal(err)
			}
		} else {
			o.value = fmt.Sprintf("%d %s", i, strings.Repeat("v", 100+rng.IntN(300)))
			if err := st.Set(o.key, []byte(o.value)); err != nil {
				t.Fatal(err)
			}
		}
		ops = append(ops, o)
		if err := st.SetOffset(int64(i + 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// at is the store after the writes up to offset o.
	at := func(o int64) map[string]string {
		m := map[string]string{}
		for _, op := range ops[:o] {
			if op.del {
				delete(m, op.key)
			} else {
				m[op.key] = op.value
			}
		}
		return m
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	damages := map[string]func(b []byte) []byte{
		"cut short": func(b []byte) []byte { return b[:len(b)-min(len(b), 3)] },
		"a flipped byte": func(b []byte) []byte {
			b[len(b)/2] ^= 0x5a
			return b
		},
	}
	tried := 0
	for _, e := range entries {
		// LOCK is the lock and LOG LevelDB's diary: neither is read.
		if name := e.Name(); name == "LOCK" || strings.HasPrefix(name, "LOG") || !e.Type().IsRegular() {
			continue
		}
		for how, damage := range damages {
			tried++
			t.Run(e.Name()+" "+how, func(t *testing.T) {
				copyDir := storeDirFor(t)
				copyFiles(t, dir, copyDir)
				path := filepath.Join(copyDir, e.Name())
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if len(b) == 0 {
					t.Skip("an empty file")
				}
				if err := os.WriteFile(path, damage(b), 0o644); err != nil {
					t.Fatal(err)
				}
				st, err := s.open(copyDir)
				if err != nil {
					return // refused: as documented
				}
				defer st.Close()
				if s.damageFailsOpen {
					t.Fatal("the damaged store opened; it documents an error")
				}
				o, err := st.GetOffset(0)
				if err != nil {
					return
				}
				if o < 0 || o > int64(len(ops)) {
					t.Fatalf("the damaged store reports offset %d, which was never set", o)
				}
				// goka Sets a message's writes before its offset, so a
				// store may hold the writes of the message after its
				// offset too (a batch flushed by a Set): goka reads that
				// message again from the offset and writes the same.
				want, next := at(o), at(min(o+1, int64(len(ops))))
				for _, k := range keys {
					v, err := st.Get(k)
					if err != nil {
						continue // the damage found
					}
					w, ok := want[k]
					wn, okn := next[k]
					if (string(v) != w || (v != nil) != ok) && (string(v) != wn || (v != nil) != okn) {
						t.Errorf("at offset %d %s reads %.12q, want %.12q", o, k, v, w)
					}
				}
				it, err := st.Iterator()
				if err != nil {
					return
				}
				got, err := collect(it)
				for _, kv := range got {
					if w, ok := want[kv[0]]; (!ok || w != kv[1]) && next[kv[0]] != kv[1] {
						t.Errorf("at offset %d the iterator gives %s = %.12q, want %.12q", o, kv[0], kv[1], w)
					}
				}
				if err == nil && len(got) != len(want) && len(got) != len(next) {
					t.Errorf("at offset %d the iterator gives %d keys without an error, want %d", o, len(got), len(want))
				}
			})
		}
	}
	if tried == 0 {
		t.Fatal("the store left no files to damage")
	}
}

func copyFiles(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		src, err := os.Open(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(filepath.Join(to, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(dst, src)
		src.Close()
		if err := errors.Join(err, dst.Close()); err != nil {
			t.Fatal(err)
		}
	}
}

// specOpenOnce: a second open of a store's directory while it is open is
// refused, saying another mallbots may be using it; after a close it
// opens.
func specOpenOnce(t *testing.T, s storeUnderTest) {
	dir := storeDirFor(t)
	st := mustOpen(t, s, dir)
	if second, err := s.open(dir); err == nil {
		second.Close()
		st.Close()
		t.Fatal("a second open of an open store succeeded")
	} else if !strings.Contains(err.Error(), "another mallbots") {
		t.Errorf("a second open: %v; want it to say another mallbots may be using the directory", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, s, dir).Close()
}

// specIteratorAcrossClose: an iterator still open when its store closes
// ends, or goes on over what it held, without a panic.
func specIteratorAcrossClose(t *testing.T, s storeUnderTest) {
	dir := storeDirFor(t)
	st := mustOpen(t, s, dir)
	s.busy(st)
	pad := strings.Repeat(".", 300)
	for i := range 20_000 { // past the write buffers: the iterator reads files
		if err := st.Set(fmt.Sprintf("k%05d", i), []byte(pad)); err != nil {
			t.Fatal(err)
		}
	}
	it, err := st.Iterator()
	if err != nil {
		t.Fatal(err)
	}
	it.Next()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("an iterator used after its store closed panicked: %v", p)
		}
	}()
	for it.Next() {
		it.Key()
		it.Value()
	}
	it.Release()
}
