package gokart

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/lovoo/goka"
)

// RemoveOwnTables removes the local stores of the processors' own tables
// (goka's group tables) and keeps their copies of the tables they look up,
// as well as the views' stores. It returns the directories it removed.
//
// A processor writes its own table's store before Kafka acknowledges the
// write (goka's SetValue), so after a crash that store can hold what the
// topic lacks. A copy is written only from records the broker served, with
// their offset in the same LevelDB batch (store.go), so after a crash of
// the process it is the topic up to some offset, and goka goes on from
// there. The caller must know that what the stores wrote reached the
// kernel's page cache and stayed there: the stores do not fsync, so after
// the machine itself went down every store must go (app/system).
//
// Anything under a processor's directory that is not named as a store of a
// table partition is removed too: only what is known to be a copy is kept.
func (c Runtime) RemoveOwnTables() ([]string, error) {
	root := filepath.Join(c.cfg.stateDir, "processors")
	groups, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, g := range groups {
		group := goka.Group(g.Name())
		dir := c.ProcessorStateDir(group)
		stores, err := os.ReadDir(dir)
		if err != nil { // not a directory
			if err := os.RemoveAll(dir); err != nil {
				return removed, err
			}
			removed = append(removed, dir)
			continue
		}
		for _, s := range stores {
			if s.IsDir() && isCopy(group, s.Name()) {
				continue
			}
			path := filepath.Join(dir, s.Name())
			if err := os.RemoveAll(path); err != nil {
				return removed, err
			}
			removed = append(removed, path)
		}
	}
	return removed, nil
}

// isCopy tells whether name, in group's directory, is the store of a
// partition of another table than the group's own.
func isCopy(group goka.Group, name string) bool {
	topic, ok := storeTopic(name)
	return ok && topic != string(goka.GroupTable(group))
}
