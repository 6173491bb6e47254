package gokart

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
)

func openLog(t *testing.T, dir string) *logStore {
	t.Helper()
	s, err := openLogStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func logFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+logSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The store against a map, through random writes, deletes, reads and
// offsets, with merges small enough to run many times in the background
// meanwhile; then after a close and a reopen.
func TestRandomWritesAgreeWithAMapThroughMergesAndAReopen(t *testing.T) {
	dir := t.TempDir()
	s := openLog(t, dir)
	s.mergeFloor = 64 << 10
	model := map[string]string{}
	rng := rand.New(rand.NewPCG(1, 2))
	merges := 0
	for i := range 60_000 {
		k := fmt.Sprintf("customer-%04d", rng.IntN(500))
		switch r := rng.IntN(10); {
		case r < 6:
			v := strings.Repeat(string(rune('a'+i%26)), 50+rng.IntN(400))
			if err := s.Set(k, []byte(v)); err != nil {
				t.Fatal(err)
			}
			model[k] = v
		case r < 7:
			if err := s.Delete(k); err != nil {
				t.Fatal(err)
			}
			delete(model, k)
		default:
			if got := mustGet(t, s, k); got != model[k] {
				t.Fatalf("op %d: %s is %d bytes, want %d", i, k, len(got), len(model[k]))
			}
		}
		s.SetOffset(int64(i))
		if n := len(logFiles(t, dir)); i%1000 == 0 && n >= 3 {
			merges++ // a merged file next to the active one (and at times the inputs still there)
		}
	}
	if merges == 0 {
		t.Fatal("no merge ran: the spec did not test what it is for")
	}
	s.Close()
	var size int64
	for _, f := range logFiles(t, dir) {
		st, _ := os.Stat(f)
		size += st.Size()
	}
	if size > 4*int64(s.mergeFloor)+int64(len(model))*600 {
		t.Errorf("the files hold %d bytes for %d keys: the merges do not reclaim space", size, len(model))
	}
	s = openLog(t, dir)
	defer s.Close()
	for k, want := range model {
		if got := mustGet(t, s, k); got != want {
			t.Errorf("after a reopen %s is %d bytes, want %d", k, len(got), len(want))
		}
	}
	if o, _ := s.GetOffset(-1); o != 59_999 {
		t.Errorf("after a reopen the offset is %d, want 59999", o)
	}
	it, err := s.Iterator()
	if err != nil {
		t.Fatal(err)
	}
	n, last := 0, ""
	for it.Next() {
		k := string(it.Key())
		v, _ := it.Value()
		if k <= last || model[k] != string(v) {
			t.Fatalf("the iterator gave %s (after %s) with %d bytes, want keys in order with their values", k, last, len(v))
		}
		last = k
		n++
	}
	if n != len(model) {
		t.Errorf("the iterator gave %d keys, want %d", n, len(model))
	}
}

func TestADamagedStoreSaysWhichDirectoryToRemove(t *testing.T) {
	dir := t.TempDir()
	s := openLog(t, dir)
	s.Set("a", bytes.Repeat([]byte("x"), 100))
	s.Close()
	f := logFiles(t, dir)[0]
	b, _ := os.ReadFile(f)
	b[len(b)/2] ^= 0xff
	os.WriteFile(f, b, 0o644)
	_, err := openLogStore(dir)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "remove the directory") {
		t.Fatalf("opening a damaged store: %v; want an error naming %s and what to do", err, dir)
	}
}

func TestAProcessorsOwnTableLeftByLevelDBIsRecoveredAfresh(t *testing.T) {
	root := t.TempDir()
	old := openStore(t, root) // the LevelDB store, at root/table.0
	old.Set("a", []byte("1"))
	old.SetOffset(7)
	old.Close()
	s := openLog(t, filepath.Join(root, "table.0"))
	defer s.Close()
	if o, _ := s.GetOffset(-1); o != -1 || mustGet(t, s, "a") != "" {
		t.Fatalf("offset %d, a=%q: want an empty store goka recovers from the topic", o, mustGet(t, s, "a"))
	}
}

func TestAProcessorKeepsItsOwnTableInALogAndItsCopiesInLevelDB(t *testing.T) {
	c := New(t.TempDir(), WithStores(&Stores{}))
	build := c.processorStores("baskets")
	own, err := build(string(goka.GroupTable("baskets")), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	cp, err := build("mallbots.customers-table", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if _, ok := own.(*logStore); !ok {
		t.Errorf("the own table is kept in a %T", own)
	}
	if _, ok := cp.(*store); !ok {
		t.Errorf("a copy is kept in a %T; want LevelDB, which survives a crash of the process (ADR 0005)", cp)
	}
}

// A merge that is still running when the store closes is waited for, and
// what it merged is read back.
func TestACloseWaitsForTheMergeInFlight(t *testing.T) {
	dir := t.TempDir()
	s := openLog(t, dir)
	s.mergeFloor = 1 << 20
	v := bytes.Repeat([]byte("v"), 1000)
	for i := range 5_000 {
		s.Set(fmt.Sprint("k", i%100), v)
	}
	t0 := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*"+mergeSuffix)); len(left) > 0 {
		t.Fatalf("a merge was left half done: %v", left)
	}
	s = openLog(t, dir)
	defer s.Close()
	for i := range 100 {
		if got := mustGet(t, s, fmt.Sprint("k", i)); got != string(v) {
			t.Fatalf("k%d is %d bytes after the close (%s)", i, len(got), time.Since(t0))
		}
	}
}

// A damaged length near 2^64 is refused, whatever the other length and
// the checksum say; the two lengths' sum would wrap to a small number.
func TestARecordWithADamagedLengthIsRefusedNotSlicedOutOfRange(t *testing.T) {
	b := []byte{0, 0, 0, 0, recPut}
	b = binary.AppendUvarint(b, math.MaxUint64) // key length
	b = binary.AppendUvarint(b, 1)              // value length: the sum wraps to 0
	b = append(b, 'x')
	binary.LittleEndian.PutUint32(b, crc32.Checksum(b[4:len(b)-1], castagnoli))
	if _, _, _, _, err := parseRecord(b); err == nil {
		t.Fatal("a record with a key length of 2^64-1 was accepted")
	}
}
