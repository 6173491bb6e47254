package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// Figure is one line of the report: a measured value, the baseline it is
// compared with (measured in the same run, on the same broker), their
// ratio and the target.
type Figure struct {
	// Name identifies the figure ("pipeline.throughput").
	Name string `json:"name"`
	// What says what was measured, in words.
	What  string  `json:"what"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Baseline is what Value is compared with (0 when none), BaselineName
	// says which.
	Baseline     float64 `json:"baseline,omitempty"`
	BaselineName string  `json:"baselineName,omitempty"`
	// Ratio is Value/Baseline (for latencies and times, less is better);
	// 0 when there is no baseline.
	Ratio float64 `json:"ratio,omitempty"`
	// Target is the target in words; Met is nil when the target does
	// not apply to this run (e.g. a smaller key count than the target's).
	Target string `json:"target,omitempty"`
	Met    *bool  `json:"met,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Check is a correctness check of the run (zero loss); a failed check is
// an error of the run, unlike a missed target.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is everything one run measured.
type Report struct {
	Machine  Machine       `json:"machine"`
	Config   Config        `json:"config"`
	Started  time.Time     `json:"started"`
	Took     time.Duration `json:"tookNs"`
	Figures  []Figure      `json:"figures"`
	Checks   []Check       `json:"checks"`
	Warnings []string      `json:"warnings,omitempty"`
}

func (r *Report) add(f Figure) { r.Figures = append(r.Figures, f) }

func (r *Report) check(name string, ok bool, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// Failed lists the checks that failed.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// Figure returns the figure called name.
func (r *Report) Figure(name string) (Figure, bool) {
	for _, f := range r.Figures {
		if f.Name == name {
			return f, true
		}
	}
	return Figure{}, false
}

// WriteJSON writes the report as indented JSON to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Print writes the table: figure, value, baseline, ratio, target, met?,
// then the checks.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\nMachine: %s\n\n", r.Machine)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tbaseline\tratio\ttarget\tmet?")
	for _, f := range r.Figures {
		base, ratio := "", ""
		if f.BaselineName != "" {
			base = fmt.Sprintf("%s (%s)", human(f.Baseline, f.Unit), f.BaselineName)
			ratio = fmt.Sprintf("%.2f", f.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, human(f.Value, f.Unit), base, ratio, f.Target, met(f.Met))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, c := range r.Checks {
		state := "ok  "
		if !c.OK {
			state = "FAIL"
		}
		fmt.Fprintf(w, "check %s %s: %s\n", state, c.Name, c.Detail)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	fmt.Fprintf(w, "\n%d figures, %d of %d targets met, %d checks failed; took %s.\n",
		len(r.Figures), r.metCount(), r.targetCount(), len(r.Failed()), r.Took.Round(time.Second))
}

func (r *Report) metCount() (n int) {
	for _, f := range r.Figures {
		if f.Met != nil && *f.Met {
			n++
		}
	}
	return n
}

func (r *Report) targetCount() (n int) {
	for _, f := range r.Figures {
		if f.Met != nil {
			n++
		}
	}
	return n
}

func met(m *bool) string {
	switch {
	case m == nil:
		return "-"
	case *m:
		return "yes"
	default:
		return "NO"
	}
}

// human formats a value with its unit: thousands separators for rates and
// counts, milliseconds and seconds as such, MiB for bytes.
func human(v float64, unit string) string {
	switch unit {
	case "ms":
		if v < 10 {
			return fmt.Sprintf("%.2f ms", v)
		}
		return fmt.Sprintf("%.1f ms", v)
	case "s":
		return fmt.Sprintf("%.2f s", v)
	case "MiB":
		return fmt.Sprintf("%.0f MiB", v)
	case "":
		return thousands(v)
	}
	return thousands(v) + " " + unit
}

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func ptr(b bool) *bool { return &b }
