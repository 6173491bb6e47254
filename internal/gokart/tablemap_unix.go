//go:build unix

package gokart

import (
	"bytes"
	"os"
	"syscall"

	"github.com/syndtr/goleveldb/leveldb/storage"
)

// openMapped opens a table file LevelDB is about to read as a memory
// mapping of the whole file.
//
// Every Get of a key in a table reads one 4 KiB data block with ReadAt.
// On a file that is a pread system call, 4–5 µs on this project's VMs
// with the block already in the page cache, and a processor does one per
// message. From a mapping it is a copy. Table files never change once
// LevelDB has written them, and LevelDB closes a reader only when no Get or
// iterator holds it, so the mapping outlives every read of it. The pages
// are the page cache's own (the kernel can drop them as it would cached
// file pages); MADV_RANDOM keeps a read from faulting in its neighbours.
func openMapped(s storage.Storage, fd storage.FileDesc) (storage.Reader, error) {
	r, err := s.Open(fd)
	if err != nil {
		return nil, err
	}
	f, ok := r.(interface {
		Fd() uintptr
		Stat() (os.FileInfo, error)
	})
	if !ok {
		return r, nil
	}
	info, err := f.Stat()
	if err != nil || info.Size() == 0 || info.Size() != int64(int(info.Size())) {
		return r, nil // leave the odd file to LevelDB's own reader and errors
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(info.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		// Out of mappings (vm.max_map_count) or address space: the file
		// reads as before.
		return r, nil
	}
	_ = r.Close() // the mapping keeps the file's pages
	_ = syscall.Madvise(data, syscall.MADV_RANDOM)
	return &mappedFile{Reader: bytes.NewReader(data), data: data}, nil
}

type mappedFile struct {
	*bytes.Reader
	data []byte
}

func (m *mappedFile) Close() error {
	m.Reader = bytes.NewReader(nil)
	return syscall.Munmap(m.data)
}
