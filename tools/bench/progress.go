package bench

import (
	"fmt"
	"io"
	"time"
)

// progress prints what the run is doing, a line at a time (logs and
// terminals both read it).
type progress struct {
	w     io.Writer
	start time.Time
}

func (p *progress) phase(format string, args ...any) {
	if p.start.IsZero() {
		p.start = time.Now()
	}
	fmt.Fprintf(p.w, "[%6.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}

func (p *progress) line(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}
