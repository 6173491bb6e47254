//go:build !unix

package gokart

import "github.com/syndtr/goleveldb/leveldb/storage"

// openMapped opens a table file as LevelDB would where mappings are not
// implemented here.
func openMapped(s storage.Storage, fd storage.FileDesc) (storage.Reader, error) {
	return s.Open(fd)
}
