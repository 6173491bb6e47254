package gokart

import (
	"bufio"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/syndtr/goleveldb/leveldb/storage"
)

// tableFileBuffer is how much of a table file LevelDB writes is kept in
// memory before a write system call.
const tableFileBuffer = 256 << 10

// bufferedTables is LevelDB's file storage with the writes of table files
// buffered.
//
// LevelDB's table writer writes every block (4 KiB) straight to the file:
// in BenchmarkProcessorStore at 100,000 keys, a system call per block was
// half of what compactions cost, and compactions run next to the
// processors on the same cores. A table file is only used once LevelDB
// has synced and closed it (and recorded it in the manifest), both of
// which flush the buffer first, so buffering changes when the bytes reach
// the kernel, never what a reopened store sees. The journal, the manifest
// and the other files are written as before.
type bufferedTables struct {
	storage.Storage
	// paced is set once the store is recovered (store.MarkRecovered): from
	// then on each table file's writer rests before it gives its turn back
	// (see rests).
	paced *atomic.Bool
}

func (s bufferedTables) Create(fd storage.FileDesc) (storage.Writer, error) {
	if fd.Type != storage.TypeTable {
		return s.Storage.Create(fd)
	}
	tableWriters <- struct{}{}
	w, err := s.Storage.Create(fd)
	if err != nil {
		<-tableWriters
		return nil, err
	}
	return &bufferedWriter{Writer: bufio.NewWriterSize(w, tableFileBuffer), file: w, opened: time.Now(),
		rests: s.paced.Load()}, nil
}

// tableWriters is how many table files the stores of this process write
// at once: half the CPUs, at least one.
//
// A table file is written by a memtable flush or a compaction, and nearly
// all of a compaction's CPU (merging its inputs, building blocks) is spent
// while its output file is open. Each store flushes and compacts on its own
// goroutines, so compactions of different stores ran side by side and,
// together, could take every CPU: at 10,000 commands/s in `mallbots bench`
// (1,000,000 customers) the eight stores of the Customer aggregate all
// compacted level 0 within 0.75 s of each other every 12.4 s, each
// compaction taking some 200 ms of a CPU alone, and the commands waiting
// for a CPU meanwhile put p99 at 106–593 ms (p50 4 ms; five runs). Taking
// turns, compactions keep at most half the CPUs and the processors the
// rest (p99 60 ms in the next run; staggered, in store.go, spreads the
// compactions out as well). The turn is taken when a table file is created
// and given back when it is closed. LevelDB writes a store's table files
// one after the other and creates the next only after closing the last, and
// the one store's compaction that can wait for another (a memtable flush
// pauses the table compaction) waits only between files, so a store never
// waits for a turn while holding one. The average compaction load, 13 % of
// the CPU at 25,000 commands/s, fits in one turn at a time.
var tableWriters = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

type bufferedWriter struct {
	*bufio.Writer
	file   storage.Writer
	opened time.Time
	// rests: the writer holds its turn, once the file is closed, for as
	// long again as the file was open.
	//
	// A compaction of level 0 rewrites all of level 1 (store.go,
	// staggered): at 1,000,000 customers some 70 MiB, 35 table files in
	// 170 to 200 ms of one CPU. At 10,000 commands/s the rest of the
	// process needs about 1.4 of the machine's 2 CPUs, so while a
	// compaction runs the commands queue: in 60 s at 10,000/s the slowest
	// seconds' p99s lined up with the compactions in the stores' LevelDB
	// logs. Resting as long as it wrote keeps the table writing of all
	// stores under half a CPU (more rest when the machine is busy, as the
	// time open is wall-clock time), and a compaction takes twice as long.
	// p99 at 10,000/s over 60 s: 39.7, 43.5, 48.1 and 51.7 ms without (four
	// quick runs), 25.7, 35.5 and 45.7 ms with (three; ADR 0011).
	//
	// A store still recovering its table does not rest: nothing waits on
	// it but its own recovery (cold recovery 0.96 × baseline 4 resting,
	// 1.30 not, one run each).
	rests  bool
	closed bool
}

func (w *bufferedWriter) Sync() error {
	if err := w.Flush(); err != nil {
		return err
	}
	return w.file.Sync()
}

func (w *bufferedWriter) Close() error {
	err := errors.Join(w.Flush(), w.file.Close())
	if !w.closed {
		w.closed = true
		if w.rests {
			time.Sleep(time.Since(w.opened))
		}
		<-tableWriters
	}
	return err
}
