// Package durable writes files that must survive the machine losing power:
// it syncs them and the directories that name them. The local stores and
// the embedded broker write through the page cache for speed; the few
// files that say what may be trusted after a crash (the clean-stop marker,
// a compaction's backup mark) go through here.
package durable

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Touch creates an empty file at path and syncs it and its directory.
func Touch(path string) error {
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return err
	}
	return errors.Join(Sync(path), Sync(filepath.Dir(path)))
}

// SyncTree syncs every regular file and directory under dir.
func SyncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		return Sync(path)
	})
}

// Sync syncs a file or a directory.
func Sync(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}
