package replay

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mallbots/mallbots/schemas/serde"
)

// Checkpoint is where an audit of the event log stopped, so that the next
// one reads only what is new (VerifyFrom): per event partition, the last
// record audited, and per aggregate, the head of its chain (the last
// version, its event id, hash and digest), which the first new event must
// follow. docs/adr/0021.
type Checkpoint struct {
	Types map[string]*TypeCheckpoint `json:"types"` // by aggregate type
}

// TypeCheckpoint is the checkpoint of one aggregate type's event topic.
type TypeCheckpoint struct {
	Topic      string                     `json:"topic"`
	Partitions map[int32]PartitionAudited `json:"partitions"`
	Heads      map[string]Head            `json:"heads"` // by aggregate id
}

// PartitionAudited is the last record an audit read on one partition.
type PartitionAudited struct {
	// Offset is the last offset audited (-1: none); the next audit starts
	// after it.
	Offset  int64  `json:"offset"`
	EventID string `json:"eventId,omitempty"`
	Hash    string `json:"hash,omitempty"`
}

// Head is the last version of one aggregate an audit saw.
type Head struct {
	Version int64  `json:"version"`
	EventID string `json:"eventId"`
	Offset  int64  `json:"offset"`
	Hash    string `json:"hash,omitempty"` // "" for an unchained event
	Digest  string `json:"digest"`         // hex SHA-256 of the record's value
	Chained bool   `json:"chained,omitempty"`
}

func (h Head) digest() [32]byte {
	var d [32]byte
	b, _ := hex.DecodeString(h.Digest)
	copy(d[:], b)
	return d
}

// ReadCheckpoint reads a checkpoint file; a file that does not exist is
// no checkpoint (nil, nil): the first audit reads everything.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cp Checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w (delete it to audit everything again)", path, err)
	}
	return &cp, nil
}

// WriteCheckpoint writes cp to path atomically (a new file renamed over
// the old one).
func WriteCheckpoint(path string, cp *Checkpoint) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// resume narrows spans to what follows the checkpoint and reports a
// partition that now ends before it (the topic was deleted and created
// again) as lost history.
func (f *logFold) resume(topic string, spans map[int32]span) {
	cp := f.opts.from
	if cp == nil {
		return
	}
	for p, s := range spans {
		a, ok := cp.Partitions[p]
		if !ok {
			continue
		}
		if s.to <= a.Offset {
			f.problems = append(f.problems, Discrepancy{Type: f.k.names().Type, Problem: ProblemTruncated,
				Where:  serde.Position{Topic: topic, Partition: p, Offset: s.to}.String(),
				Detail: fmt.Sprintf("lost history: the partition ends at offset %d, but the checkpoint audited it up to offset %d: the topic was deleted and created again", s.to, a.Offset)})
		}
		spans[p] = span{from: max(s.from, a.Offset+1), to: max(s.to, max(s.from, a.Offset+1))}
	}
	for id, h := range cp.Heads {
		s := newStream(f.k, id)
		s.version, s.base, s.head = h.Version, h.Version, h
		s.lastHash, s.chained = h.Hash, h.Chained
		s.halted = true // no state to fold from: a resumed audit checks the log, not the tables
		f.streams[id] = s
	}
}

// checkpoint is where this fold stopped: the previous checkpoint moved on
// by what was read.
func (f *logFold) checkpoint(topic string, spans map[int32]span) *TypeCheckpoint {
	cp := &TypeCheckpoint{Topic: topic, Partitions: map[int32]PartitionAudited{}, Heads: map[string]Head{}}
	if f.opts.from != nil {
		for p, a := range f.opts.from.Partitions {
			cp.Partitions[p] = a
		}
	}
	for p, s := range spans {
		if s.to > s.from {
			a := f.last[p]
			a.Offset = s.to - 1
			cp.Partitions[p] = a
		} else if _, ok := cp.Partitions[p]; !ok {
			cp.Partitions[p] = PartitionAudited{Offset: s.from - 1}
		}
	}
	for id, s := range f.streams {
		if s.version == 0 {
			continue
		}
		if s.version == s.base {
			cp.Heads[id] = s.head
			continue
		}
		i := s.version - s.base - 1
		cp.Heads[id] = Head{Version: s.version, EventID: s.ids[i], Offset: s.offsets[i], Hash: s.lastHash,
			Digest: hex.EncodeToString(s.digests[i][:]), Chained: s.chained}
	}
	return cp
}
