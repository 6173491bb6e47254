package gokart

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
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

func TestAnIteratorEndedByCloseSaysSoAndKeepsWhatItGave(t *testing.T) {
	// The conformance spec asks only for no panic (the log store goes on
	// over what it held). The LevelDB store ends its iterators: a Next
	// after the Close is false, with an error that tells the iteration
	// apart from one that reached the end, and what it gave before the
	// Close still reads as it was.
	st := openStore(t, t.TempDir()).(*store)
	value := func(i int) string { return fmt.Sprintf("%05d-%s", i, strings.Repeat("v", 300)) }
	for i := range 20_000 { // past the write buffer: the iterator reads table files
		if err := st.Set(fmt.Sprintf("k%05d", i), []byte(value(i))); err != nil {
			t.Fatal(err)
		}
	}
	released, err := st.Iterator()
	if err != nil {
		t.Fatal(err)
	}
	released.Release()
	it, err := st.Iterator()
	if err != nil {
		t.Fatal(err)
	}
	if !it.Next() {
		t.Fatalf("an iterator over 20,000 keys is empty: %v", it.Err())
	}
	key := it.Key()
	val, err := it.Value()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st.iters); n != 1 {
		t.Fatalf("the store tracks %d iterators, want the 1 not released", n)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if string(key) != "k00000" || string(val) != value(0) {
		t.Errorf("the pair read before the Close reads %q = %.12q after it, want k00000 = %.12q", key, val, value(0))
	}
	if it.Next() {
		t.Error("Next after the Close is true, want false: the iterator ended")
	}
	if err := it.Err(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Err after the Close: %v, want an error saying the store closed", err)
	}
	if k := it.Key(); k != nil {
		t.Errorf("Key after the Close: %q, want nil", k)
	}
	if v, err := it.Value(); v != nil || err == nil {
		t.Errorf("Value after the Close: %.12q, %v; want nil and an error", v, err)
	}
	if it.Seek([]byte("k1")) {
		t.Error("Seek after the Close is true, want false")
	}
	it.Release()
	it.Release()
	if _, err := st.Iterator(); err == nil {
		t.Error("an iterator opened after the Close, want an error")
	}
}

func TestIteratorsInUseOnOtherGoroutinesEndAtClose(t *testing.T) {
	// What a view stopping under its readers does (go test -race): Close
	// returns while they iterate, and each reader's pairs are whole until
	// its Next is false. Half the readers go on while Close runs and end
	// at the last key or with an error; the other half go on once it has
	// returned, and end with an error.
	st := openStore(t, t.TempDir())
	const keys, readers = 20_000, 4
	value := func(k []byte) string { return string(k) + strings.Repeat(".", 200) }
	for i := range keys {
		k := fmt.Sprintf("k%05d", i)
		if err := st.Set(k, []byte(value([]byte(k)))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	started := make(chan struct{}, readers)
	closing, closed := make(chan struct{}), make(chan struct{})
	for r := range readers {
		it, err := st.Iterator()
		if err != nil {
			t.Fatal(err)
		}
		resume, afterClose := closing, r%2 == 1
		if afterClose {
			resume = closed
		}
		wg.Go(func() {
			defer it.Release()
			n := 0
			var err error // a Value after the Close fails too
			for err == nil && it.Next() {
				if n++; n == 100 {
					started <- struct{}{}
					<-resume
				}
				k := it.Key()
				var v []byte
				if v, err = it.Value(); err == nil && string(v) != value(k) {
					errs <- fmt.Errorf("pair %d: %q = %.12q", n, k, v)
					return
				}
			}
			if err == nil {
				err = it.Err()
			}
			switch {
			case afterClose && (n == keys || err == nil):
				errs <- fmt.Errorf("an iteration resumed after the Close read %d of %d keys (error %v), want it ended with an error", n, keys, err)
			case n != keys && err == nil:
				errs <- fmt.Errorf("an iteration ended after %d of %d keys without an error", n, keys)
			}
		})
	}
	for range readers {
		<-started
	}
	done := make(chan error, 1)
	close(closing)
	go func() { done <- st.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Close did not return within a minute under iterators in use")
	}
	close(closed)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
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

// A store opened empty is being recovered from its table topic: every
// snapshot ever written, at random keys, several per key. It lets level 0
// grow far past the running trigger meanwhile (each compaction rewrites
// all that is below level 0), then merges level 0 once when goka marks it
// recovered, and runs with the running options from then on.
func TestAStoreOpenedEmptyCompactsRarelyUntilRecoveredThenMergesOnce(t *testing.T) {
	dir := t.TempDir()
	build := storeBuilder(dir, leveldbOptions(64<<10), nil)
	st, err := build("table", 0)
	if err != nil {
		t.Fatal(err)
	}
	level := func(st storage.Storage, l int) int {
		t.Helper()
		n, err := st.(*store).db.GetProperty(fmt.Sprintf("leveldb.num-files-at-level%d", l))
		if err != nil {
			t.Fatal(err)
		}
		var v int
		fmt.Sscan(n, &v)
		return v
	}
	// About 46 level-0 tables: past the running trigger (8 to 11) and short
	// of the recovery one (64), where a compaction could start while the
	// test counts.
	const keys, rounds = 2_000, 2
	want := map[string]string{}
	rnd := rand.New(rand.NewPCG(1, 2))
	var offset int64
	for r := range rounds {
		for _, i := range rnd.Perm(keys) {
			k, v := fmt.Sprintf("k%05d", i), fmt.Sprintf("%d-%d-%0500d", r, i, i)
			if err := st.Set(k, []byte(v)); err != nil {
				t.Fatal(err)
			}
			offset++
			if err := st.SetOffset(offset); err != nil {
				t.Fatal(err)
			}
			want[k] = v
		}
	}
	it, err := st.Iterator()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Release()
	trigger := staggered(leveldbOptions(64<<10), 0).CompactionL0Trigger
	if l0 := level(st, 0); l0 <= trigger {
		t.Fatalf("%d level-0 tables after writing %d KiB with a 64 KiB buffer; want more than the running trigger, %d", l0, keys*rounds/2, trigger)
	}
	for l := 1; l < 7; l++ {
		if n := level(st, l); n != 0 {
			t.Errorf("level %d holds %d tables while the store recovers; want no compaction", l, n)
		}
	}

	if err := st.MarkRecovered(); err != nil {
		t.Fatal(err)
	}
	if l0 := level(st, 0); l0 != 0 {
		t.Errorf("%d level-0 tables once recovered; want them merged", l0)
	}
	if it.Next() || it.Err() == nil || !strings.Contains(it.Err().Error(), "iterate again") {
		t.Errorf("an iterator opened during the recovery, after it: Next, Err %v; want it ended, saying to iterate again", it.Err())
	}
	if st.(*store).opts.CompactionL0Trigger != trigger || st.(*store).recovering {
		t.Errorf("once recovered the store runs with trigger %d, recovering %v; want %d, false", st.(*store).opts.CompactionL0Trigger, st.(*store).recovering, trigger)
	}
	check := func(st storage.Storage, when string) {
		t.Helper()
		for k, v := range want {
			if got := mustGet(t, st, k); got != v {
				t.Fatalf("%s: %s = %.12q, want %.12q", when, k, got, v)
			}
		}
		if o, err := st.GetOffset(-1); err != nil || o != offset {
			t.Errorf("%s: offset %d, %v; want %d", when, o, err, offset)
		}
	}
	check(st, "once recovered")
	if err := st.Set("after", []byte("recovery")); err != nil {
		t.Fatal(err)
	}
	want["after"] = "recovery"
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Opened again it is not empty: it runs at once, and holds it all.
	st, err = build("table", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.(*store).recovering {
		t.Error("a store opened with data runs with the recovery options")
	}
	check(st, "reopened")
}
