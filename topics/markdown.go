package topics

import (
	"fmt"
	"strings"
	"time"
)

// Markdown renders the catalogue as the topic table of the docs
// (docs/topics.md is this output; a test keeps them equal).
func Markdown() string {
	var b strings.Builder
	b.WriteString("| Topic | Class | Partitions | Cleanup | Retention | Key | Values |\n|---|---|---|---|---|---|---|\n")
	for _, t := range All() {
		values := "raw bytes of the failed record"
		if t.Name == Schemas.Name {
			values = "registry records (JSON)"
		}
		if len(t.Values) > 0 {
			values = "`" + strings.Join(t.Values, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %d | %s | %s | %s | %s |\n", t.Name, t.Class, t.Partitions, t.Cleanup, retention(t), t.Key, values)
	}
	return b.String()
}

func retention(t Topic) string {
	switch {
	case t.Cleanup == Compact:
		return "latest per key"
	case t.Retention == Forever:
		return "forever"
	case t.Retention == 24*time.Hour:
		return "1 day"
	case t.Retention%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", t.Retention/(24*time.Hour))
	}
	return t.Retention.String()
}
