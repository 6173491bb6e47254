package gokart

import (
	"bufio"
	"errors"

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
}

func (s bufferedTables) Create(fd storage.FileDesc) (storage.Writer, error) {
	w, err := s.Storage.Create(fd)
	if err != nil || fd.Type != storage.TypeTable {
		return w, err
	}
	return &bufferedWriter{Writer: bufio.NewWriterSize(w, tableFileBuffer), file: w}, nil
}

type bufferedWriter struct {
	*bufio.Writer
	file storage.Writer
}

func (w *bufferedWriter) Sync() error {
	if err := w.Flush(); err != nil {
		return err
	}
	return w.file.Sync()
}

func (w *bufferedWriter) Close() error {
	return errors.Join(w.Flush(), w.file.Close())
}
