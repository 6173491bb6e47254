package chserver

import (
	"io"
	"os"
	"regexp"
	"strings"
)

// stackFrame matches the numbered stack-trace lines ClickHouse appends to
// every logged exception; they bury the message a person needs to read.
var stackFrame = regexp.MustCompile(`^\s*\d+\.\s`)

// tailLines returns the last n meaningful lines of path written at or after
// byte offset from (so that a reused directory's older runs are left out).
func tailLines(path string, from int64, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	const window = 64 << 10
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	start := max(from, st.Size()-window, 0)
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return nil
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil
	}
	var keep []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "Stack trace:" || stackFrame.MatchString(line) {
			continue
		}
		keep = append(keep, line)
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return keep
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
