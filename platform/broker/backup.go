package broker

import (
	"errors"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mallbots/mallbots/platform/durable"
)

// kfake compacts a partition in place: it deletes the partition's segment
// files, then writes the compacted batches to new ones. A process killed in
// between loses the partition (seen in `mallbots chaos --scenario kill9`:
// a state table's partition came back empty, its aggregates' events still
// in the log). So before each compaction the compactor hard-links the
// compacted topics' partition directories into backupDir and marks the
// backup complete; after it, it removes the mark first, then the links. A
// start that finds the mark puts the linked directories back: the
// partitions as they were before that compaction, which loses nothing but
// the compaction (kfake writes new files, so the links keep the old ones).
//
// While the backup stands nothing may be appended to those partitions, or a
// restore would drop it: a produce fence answers produce requests with
// NOT_LEADER_FOR_PARTITION, which clients retry after a metadata refresh,
// from just before the links are made until the mark is gone. kfake
// answers nothing while it compacts anyway, so the fence costs the
// producers a retry, not time.

const (
	backupDir      = "mallbots-compaction-backup"
	backupComplete = "COMPLETE"
)

// partitionDir is where kfake keeps a partition (its partDir).
func partitionDir(dir, topic string, partition int32) string {
	return filepath.Join(dir, "partitions", url.PathEscape(topic)+"-"+strconv.Itoa(int(partition)))
}

type topicPartition struct {
	topic     string
	partition int32
}

// backUp links the files of each partition's directory into the backup,
// then writes the mark. A partition without a directory has nothing on disk.
func backUp(dir string, parts []topicPartition) error {
	root := filepath.Join(dir, backupDir)
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	for _, tp := range parts {
		src := partitionDir(dir, tp.topic, tp.partition)
		files, err := os.ReadDir(src)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		dst := filepath.Join(root, "partitions", filepath.Base(src))
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		for _, f := range files {
			if f.IsDir() {
				continue
			}
			if err := os.Link(filepath.Join(src, f.Name()), filepath.Join(dst, f.Name())); err != nil {
				return err
			}
		}
	}
	return durable.Touch(filepath.Join(root, backupComplete))
}

// dropMark removes the mark: from then on a start ignores the backup.
func dropMark(dir string) error {
	if err := os.Remove(filepath.Join(dir, backupDir, backupComplete)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// dropBackup removes the mark, then the links.
func dropBackup(dir string) error {
	if err := dropMark(dir); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(dir, backupDir))
}

// restoreBackup, at start, puts back the partitions of a compaction that a
// crash interrupted, and says whether there was one. A backup without its
// mark was never used: it is removed. Each partition is put back by
// renaming its linked directory over the live one, so a crash during the
// restore leaves the rest to the next start.
func restoreBackup(dir string, log *slog.Logger) (bool, error) {
	root := filepath.Join(dir, backupDir)
	if _, err := os.Stat(filepath.Join(root, backupComplete)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, os.RemoveAll(root)
		}
		return false, err
	}
	parts, err := os.ReadDir(filepath.Join(root, "partitions"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	for _, p := range parts {
		live := filepath.Join(dir, "partitions", p.Name())
		if err := os.RemoveAll(live); err != nil {
			return false, err
		}
		if err := os.Rename(filepath.Join(root, "partitions", p.Name()), live); err != nil {
			return false, err
		}
	}
	log.Warn("the embedded broker stopped during a compaction: its compacted topics are put back as they were before it", "component", "kafka",
		"partitions", len(parts), "dir", dir)
	return true, dropBackup(dir)
}

// produceFence holds produce requests off during a compaction: raised, it
// answers each with a retriable error. It is a kfake control function
// installed only while raised, and for a reason: kfake runs a control
// function on a goroutine of its own and, while it waits for the answer,
// goes on with queued admin work. A fence installed for good would cost
// every produce request a goroutine, and one that decided "not fenced"
// just before the fence went up could be written after the compactor's
// barrier (the round trip that follows raise) had returned. Without any
// control function kfake handles a request in one go, so every produce
// request taken before the fence was installed is written before the
// barrier returns, and every one after meets the fence.
type produceFence struct {
	cluster *kfake.Cluster
	// down lowers the raised fence; nil when none is raised.
	down *atomic.Bool
}

func (f *produceFence) up() bool { return f.down != nil }

func (f *produceFence) raise() {
	down := new(atomic.Bool)
	f.down = down
	c := f.cluster
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		if down.Load() {
			c.DropControl() // lowered: gone at the first request after
			return nil, nil, false
		}
		c.KeepControl()
		req, ok := r.(*kmsg.ProduceRequest)
		if !ok {
			return nil, nil, false
		}
		if req.Acks == 0 {
			return nil, nil, true // dropped: acks=0 expects no answer and promises nothing
		}
		return fenced(req), nil, true
	})
}

func (f *produceFence) lower() {
	if f.down != nil {
		f.down.Store(true)
		f.down = nil
	}
}

// fenced answers every partition of req with NOT_LEADER_FOR_PARTITION,
// which clients retry after a metadata refresh.
func fenced(req *kmsg.ProduceRequest) *kmsg.ProduceResponse {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	msg := "the embedded broker is compacting; retry"
	for _, t := range req.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = kerr.NotLeaderForPartition.Code
			if req.Version >= 8 {
				rp.ErrorMessage = &msg
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
