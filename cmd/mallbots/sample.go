package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// sampleSentFile, in the data directory, records that --sample-traffic
// was sent to the mall kept there: the mall keeps what it created, so
// sending it on every start piled up copies of the same stores.
const sampleSentFile = "sample-traffic-sent"

// sampleOnce sends the sample traffic (send, which returns the order it
// completed) unless the data directory records that it was sent, and
// records it when it was. Either way it tells out what happened and where
// to look.
func sampleOnce(ctx context.Context, dataDir string, out io.Writer, send func(context.Context) (string, error)) error {
	marker := filepath.Join(dataDir, sampleSentFile)
	prev, err := os.ReadFile(marker)
	if err == nil {
		fmt.Fprintf(out, "Sample traffic: already sent to this data directory (%s: %s); its stores and order are still there.\n"+
			"Delete that file to send it again.\n", marker, strings.TrimSpace(string(prev)))
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sample traffic: read %s: %w", marker, err)
	}
	order, err := send(ctx)
	if err != nil {
		// Not recorded: the next start sends it again.
		return err
	}
	rec := fmt.Sprintf("sent at %s, order %s", time.Now().UTC().Format(time.RFC3339), order)
	if err := os.WriteFile(marker, []byte(rec+"\n"), 0o644); err != nil {
		return fmt.Errorf("sample traffic sent, but not recorded (it will be sent again on the next start): %w", err)
	}
	fmt.Fprintf(out, "\nSample traffic: %s (recorded in %s: the next start does not send it again).\n", rec, marker)
	return nil
}
