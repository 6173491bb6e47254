package gokart

import (
	"bytes"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	ldbstorage "github.com/syndtr/goleveldb/leveldb/storage"
)

// A table file written through the buffer reads back as the bytes written,
// through every method LevelDB's reader may use.
func TestATableFileReadsBackAsWrittenThroughEveryReadMethod(t *testing.T) {
	files, err := ldbstorage.OpenFile(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	s := bufferedTables{Storage: files, paced: new(atomic.Bool)}
	t.Cleanup(func() { _ = s.Close() })
	want := make([]byte, 3*tableFileBuffer+123) // more than one buffer's worth
	for i := range want {
		want[i] = byte(i * 31)
	}
	fd := ldbstorage.FileDesc{Type: ldbstorage.TypeTable, Num: 7}
	w, err := s.Create(fd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := s.Open(fd)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4096)
	if n, err := r.ReadAt(got, 1<<18); n != len(got) || err != nil || !bytes.Equal(got, want[1<<18:1<<18+4096]) {
		t.Errorf("ReadAt inside the file = %d, %v, equal %t; want 4096, nil, true", n, err, bytes.Equal(got, want[1<<18:1<<18+4096]))
	}
	tail := int64(len(want) - 100)
	if n, err := r.ReadAt(got, tail); n != 100 || !errors.Is(err, io.EOF) || !bytes.Equal(got[:n], want[tail:]) {
		t.Errorf("ReadAt across the end = %d, %v; want 100, EOF and the last 100 bytes", n, err)
	}
	if n, err := r.ReadAt(got, int64(len(want))); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("ReadAt at the end = %d, %v; want 0, EOF", n, err)
	}
	if _, err := r.Seek(int64(len(want))-5000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(r); err != nil || !bytes.Equal(rest, want[len(want)-5000:]) {
		t.Errorf("Seek then Read = %d bytes, %v; want the last 5000", len(rest), err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// Once its store is recovered, a table file's writer holds its turn for as
// long again as the file was open, so that table writing never takes more
// than half a CPU from the commands; a recovering store's writer gives the
// turn back at once.
func TestARecoveredStoresTableWriterRestsAsLongAsItWrote(t *testing.T) {
	const writing = 150 * time.Millisecond
	files, err := ldbstorage.OpenFile(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = files.Close() })
	paced := new(atomic.Bool)
	s := bufferedTables{Storage: files, paced: paced}

	// closing writes one table file that stays open for writing, and
	// returns how long its Close took.
	closing := func(num int64) time.Duration {
		w, err := s.Create(ldbstorage.FileDesc{Type: ldbstorage.TypeTable, Num: num})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("a block")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(writing)
		t0 := time.Now()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return time.Since(t0)
	}

	if took := closing(1); took >= writing {
		t.Errorf("a recovering store's table file took %s to close, want no rest (under %s)", took, writing)
	}
	paced.Store(true)
	if took := closing(2); took < writing {
		t.Errorf("a recovered store's table file took %s to close, want a rest of at least the %s it was open", took, writing)
	}
	if n := len(tableWriters); n != 0 {
		t.Errorf("%d table writer turns still taken after both files closed, want 0", n)
	}
}
