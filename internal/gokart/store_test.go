package gokart

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lovoo/goka/storage"
)

func openStore(t *testing.T, dir string) storage.Storage {
	t.Helper()
	st, err := storeBuilder(dir, leveldbOptions(processorWriteBuffer), nil)("table", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Open(); err != nil {
		t.Fatal(err)
	}
	return st
}

func mustGet(t *testing.T, st storage.Storage, key string) string {
	t.Helper()
	v, err := st.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

func TestTheStoreReadsItsPendingWritesAndKeepsThemAcrossAClose(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	for _, step := range []error{st.Set("a", []byte("1")), st.Set("b", []byte("2")), st.Set("a", []byte("3")), st.Delete("b"), st.SetOffset(41)} {
		if step != nil {
			t.Fatal(step)
		}
	}
	expectWrites(t, st, "before the batch is applied")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir)
	defer st.Close()
	expectWrites(t, st, "after a close")
}

// expectWrites checks what the test above wrote: a's last value, b
// deleted, offset 41.
func expectWrites(t *testing.T, st storage.Storage, when string) {
	t.Helper()
	if got := mustGet(t, st, "a"); got != "3" {
		t.Fatalf("%s: a = %q, want the last write 3", when, got)
	}
	if has, _ := st.Has("b"); has {
		t.Fatalf("%s: b was deleted but the store has it", when)
	}
	if o, _ := st.GetOffset(-1); o != 41 {
		t.Fatalf("%s: offset %d, want 41", when, o)
	}
}

func TestAFullBatchIsAppliedWithItsOffsetAsOne(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir).(*store)
	for i := range flushRecords {
		if err := st.SetOffset(int64(i + 1)); err != nil {
			t.Fatal(err)
		}
		if err := st.Set(fmt.Sprintf("k%03d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	// What a crash would leave: the database without the pending writes.
	if n := len(st.pending); n != 0 {
		t.Fatalf("%d writes still pending after %d records", n, flushRecords)
	}
	if err := st.Set("after", []byte("v")); err != nil {
		t.Fatal(err)
	}
	raw, err := st.db.Get([]byte(offsetKey), nil)
	if err != nil || string(raw) != fmt.Sprint(flushRecords) {
		t.Fatalf("the database holds offset %q (%v), want %d: the last offset of the applied batch", raw, err, flushRecords)
	}
	if has, _ := st.db.Has([]byte("after"), nil); has {
		t.Fatal("a write after the batch reached the database before its own batch")
	}
	st.Close()
}

func TestAReaderNeverMissesAWrittenKeyWhileItsBatchIsBeingWritten(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	const keys = 20 * flushRecords
	var written atomic.Int64 // keys [0, written) have been Set
	done := make(chan error, 1)
	go func() {
		for i := range keys {
			if err := st.Set(fmt.Sprintf("k%05d", i), []byte("v")); err != nil {
				done <- err
				return
			}
			written.Store(int64(i + 1))
		}
		done <- nil
	}()
	for {
		n := written.Load()
		if n > 0 {
			k := fmt.Sprintf("k%05d", rand.Int64N(n))
			if v := mustGet(t, st, k); v != "v" {
				t.Fatalf("%s was written but a reader got %q", k, v)
			}
		}
		if n == keys {
			break
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestTheStoreIteratesOverPendingWritesWithoutTheOffsetKey(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	st.Set("x1", []byte("a"))
	st.Set("x2", []byte("b"))
	st.Set("y1", []byte("c"))
	st.SetOffset(7)
	for _, tc := range []struct {
		name string
		it   func() (storage.Iterator, error)
		want string
	}{
		{"everything", st.Iterator, "x1=a x2=b y1=c "},
		{"prefix x", func() (storage.Iterator, error) { return st.IteratorWithRange([]byte("x"), nil) }, "x1=a x2=b "},
		{"range [x2, y9)", func() (storage.Iterator, error) { return st.IteratorWithRange([]byte("x2"), []byte("y9")) }, "x2=b y1=c "},
	} {
		it, err := tc.it()
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for it.Next() {
			v, _ := it.Value()
			got += fmt.Sprintf("%s=%s ", it.Key(), v)
		}
		it.Release()
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTheStoreOpensWhatGokasLevelDBStorageWrote(t *testing.T) {
	dir := t.TempDir()
	old, err := storage.BuilderWithOptions(dir, leveldbOptions(processorWriteBuffer))("table", 0)
	if err != nil {
		t.Fatal(err)
	}
	old.Open()
	old.Set("k", []byte("v"))
	old.SetOffset(99)
	old.MarkRecovered()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	st := openStore(t, dir)
	defer st.Close()
	if got := mustGet(t, st, "k"); got != "v" {
		t.Fatalf("k = %q, want v", got)
	}
	if o, _ := st.GetOffset(-1); o != 99 {
		t.Fatalf("offset %d, want goka's 99", o)
	}
}

func TestWhatCompactionsWroteIsReadBackAfterAReopen(t *testing.T) {
	// Enough to fill the write buffer many times over: the values go
	// through level-0 tables and compactions, whose files are written
	// through a buffer (tablefiles.go).
	const keys = 20_000
	value := func(i int) string { return fmt.Sprintf("%06d-%0994d", i, i) }
	dir := t.TempDir()
	st := openStore(t, dir)
	for i := range keys {
		if err := st.Set(fmt.Sprintf("k%06d", i), []byte(value(i))); err != nil {
			t.Fatal(err)
		}
	}
	st.SetOffset(keys)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	tables, _ := filepath.Glob(filepath.Join(dir, "table.0", "*.ldb"))
	if len(tables) < 2 {
		t.Fatalf("%d table files after writing %d KiB; the test wants compactions", len(tables), keys)
	}

	st = openStore(t, dir)
	defer st.Close()
	for i := range keys {
		k := fmt.Sprintf("k%06d", i)
		v, err := st.Get(k)
		if err != nil {
			t.Fatalf("%s after a reopen: %v", k, err)
		}
		if string(v) != value(i) {
			t.Fatalf("%s after a reopen: %d bytes starting %.12q, want %.12q", k, len(v), v, value(i))
		}
	}
	if o, _ := st.GetOffset(-1); o != keys {
		t.Fatalf("offset %d, want %d", o, keys)
	}
}

// BenchmarkProcessorStore does what a processor does per message with its
// store — Get a key, Set it, SetOffset — over 100,000 keys of 600 bytes,
// with goka's LevelDB storage, the batched LevelDB store (the copies of
// other tables) and the log store (a processor's own table).
func BenchmarkProcessorStore(b *testing.B) {
	const keys = 100_000
	value := make([]byte, 600)
	for _, bc := range []struct {
		name  string
		build func(dir string) storage.Builder
	}{
		{"goka", func(dir string) storage.Builder {
			return storage.BuilderWithOptions(dir, leveldbOptions(processorWriteBuffer))
		}},
		{"batched", func(dir string) storage.Builder { return storeBuilder(dir, leveldbOptions(processorWriteBuffer), nil) }},
		{"log", func(dir string) storage.Builder {
			return func(topic string, partition int32) (storage.Storage, error) {
				return openLogStore(storeDir(dir, topic, partition))
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			st, err := bc.build(b.TempDir())("table", 0)
			if err != nil {
				b.Fatal(err)
			}
			st.Open()
			st.MarkRecovered()
			defer st.Close()
			for i := range keys {
				st.Set(fmt.Sprintf("customer-%06d", i), value)
			}
			for i := 0; b.Loop(); i++ {
				k := fmt.Sprintf("customer-%06d", (i*7919)%keys)
				if _, err := st.Get(k); err != nil {
					b.Fatal(err)
				}
				if err := st.Set(k, value); err != nil {
					b.Fatal(err)
				}
				if err := st.SetOffset(int64(i + 1)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestStoresThatCompactAtOnceTakeTurnsAndAllFinish(t *testing.T) {
	// Eight partitions written at once, each many times its write buffer:
	// their flushes and compactions queue for tableWriters. A turn that is
	// never given back (a table file closed without returning it) would
	// block every store for good.
	const partitions, keys = 8, 12_000
	value := func(p, i int) string { return fmt.Sprintf("%d-%06d-%0992d", p, i, i) }
	dir := t.TempDir()
	build := storeBuilder(dir, leveldbOptions(processorWriteBuffer), nil)
	stores := make([]storage.Storage, partitions)
	for p := range stores {
		st, err := build("table", int32(p))
		if err != nil {
			t.Fatal(err)
		}
		stores[p] = st
	}
	done := make(chan error, partitions)
	for p, st := range stores {
		go func() {
			for i := range keys {
				if err := st.Set(fmt.Sprintf("k%06d", i), []byte(value(p, i))); err != nil {
					done <- err
					return
				}
			}
			done <- st.Close()
		}()
	}
	for range partitions {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("the stores did not finish writing %d MB each within a minute (%d of %d table writers busy)", keys/1000, len(tableWriters), cap(tableWriters))
		}
	}
	for p := range partitions {
		st, err := build("table", int32(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, keys / 2, keys - 1} {
			if v, err := st.Get(fmt.Sprintf("k%06d", i)); err != nil || string(v) != value(p, i) {
				t.Errorf("partition %d, key %d after a reopen: %.14q, %v", p, i, v, err)
			}
		}
		st.Close()
	}
}

func TestEachPartitionCompactsLevelZeroAtItsOwnCount(t *testing.T) {
	got := map[int]int{}
	for p := range int32(8) {
		o := staggered(leveldbOptions(processorWriteBuffer), p)
		got[o.CompactionL0Trigger]++
		if o.WriteL0SlowdownTrigger <= o.CompactionL0Trigger+4 {
			t.Errorf("partition %d: writes slow down at %d level-0 tables, compaction starts at %d; want room for a store waiting its turn",
				p, o.WriteL0SlowdownTrigger, o.CompactionL0Trigger)
		}
	}
	if len(got) != 4 {
		t.Errorf("level-0 triggers of 8 partitions: %v, want four different ones", got)
	}
}
