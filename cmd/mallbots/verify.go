package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/topics"
)

// verifyCmd checks the event log and the state tables against it.
type verifyCmd struct {
	Types []string `arg:"" optional:"" help:"Aggregate types or groups to check (e.g. order, mallbots.products); default all."`
	eventLogFlags
	JSON         bool   `help:"Print the report as JSON."`
	Quiet        bool   `help:"No progress lines on stderr."`
	Checkpoint   string `help:"An audit checkpoint file: when it exists, read only the event records after it (the chain only, no table); write where this audit stopped to it." env:"MALLBOTS_VERIFY_CHECKPOINT"`
	ChainKeyFile string `name:"chain-key-file" help:"The file keying the hash chain, as given to run (docs/adr/0021); default none: plain SHA-256." env:"MALLBOTS_CHAIN_KEY_FILE"`
}

// readChainKey reads the hash chain's key from path ("" : none). A key
// file, like a password, is never a flag's value, only its path.
func readChainKey(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the chain key (--chain-key-file): %w", err)
	}
	if len(b) < 16 {
		return nil, fmt.Errorf("the chain key %s has %d bytes; use at least 16 random ones (head -c 32 /dev/urandom > %s)", path, len(b), path)
	}
	return b, nil
}

// Run reads every event topic and state table once and prints the report;
// any discrepancy makes it exit non-zero. Run it on a quiet system: a
// command in flight can show as a table one version behind its log.
func (v *verifyCmd) Run() error {
	opts := []replay.VerifyOption{replay.VerifyTypes(v.Types...)}
	if !v.Quiet {
		opts = append(opts, replay.VerifyProgress(os.Stderr))
	}
	key, err := readChainKey(v.ChainKeyFile)
	if err != nil {
		return err
	}
	opts = append(opts, replay.VerifyChainKey(key))
	if v.Checkpoint != "" {
		cp, err := replay.ReadCheckpoint(v.Checkpoint)
		if err != nil {
			return err
		}
		opts = append(opts, replay.VerifyFrom(cp))
	}
	return v.withEventLog(topics.RoleVerify, func(ctx context.Context, l *replay.Log) error {
		rep, err := l.Verify(ctx, opts...)
		if err != nil {
			return err
		}
		if v.Checkpoint != "" {
			if err := replay.WriteCheckpoint(v.Checkpoint, rep.Checkpoint); err != nil {
				return fmt.Errorf("write the checkpoint %s: %w", v.Checkpoint, err)
			}
		}
		if v.JSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
		} else {
			rep.Print(os.Stdout)
		}
		if n := len(rep.Discrepancies()); n > 0 {
			return fmt.Errorf("%s between the log's promises and what it and the state tables hold", replay.Count(n, "discrepancy", "discrepancies"))
		}
		return nil
	})
}
