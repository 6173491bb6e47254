// Package analytics keeps the analyst cookbook (docs/analytics.md) true. It
// parses the SQL blocks out of the document, binds their parameters, runs
// them on ClickHouse, and computes the same figures in Go from an event
// history (read from the Kafka event topics, or made up by Fixture), so
// that a test can compare the two. The cookbook's queries run on ClickHouse
// 18.16 and on current releases; chdb_test.go checks the latter.
package analytics

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Query is one SQL block of the cookbook.
type Query struct {
	// Name is the block's "-- name: …" first line.
	Name string
	// SQL is the block as written, parameters at their sample values.
	SQL string
	// Title is the heading the block stands under ("Top products").
	Title string
	// Params are the names of its parameters: the `literal AS name`
	// aliases of its WITH lines, in order.
	Params []string
	// Instants are those of Params that are UTC instants (the others are
	// strings).
	Instants []string
}

var (
	nameLine = regexp.MustCompile(`^-- name: ([a-z0-9_]+)$`)
	// A parameter is a literal aliased on a WITH line: a UTC instant or a
	// string.
	instantParamRe = regexp.MustCompile(`toDateTime\('[^']*', 'UTC'\) AS ([a-z_]+)\b`)
	stringParamRe  = regexp.MustCompile(`'(?:[^'\\]|\\.)*' AS ([a-z_]+)\b`)
)

// FindCookbook returns the path of docs/analytics.md, looked up from the
// working directory towards the root (tests run in their package's
// directory).
func FindCookbook() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "docs", "analytics.md")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("analytics: docs/analytics.md not found above the working directory")
		}
		dir = parent
	}
}

// LoadCookbook reads and parses the cookbook at path.
func LoadCookbook(path string) ([]Query, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("analytics: read the cookbook: %w", err)
	}
	return ParseCookbook(string(b))
}

// ParseCookbook returns every ```sql block of a Markdown text. Each block
// must start with a "-- name: <snake_case>" line, unique in the text.
func ParseCookbook(md string) ([]Query, error) {
	var (
		out   []Query
		errs  []error
		seen  = map[string]bool{}
		in    bool
		lines []string
		start int
		title string
	)
	sc := bufio.NewScanner(strings.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, "##"):
			title = strings.TrimSpace(strings.TrimLeft(line, "#"))
		case !in && strings.TrimSpace(line) == "```sql":
			in, lines, start = true, nil, n
		case in && strings.TrimSpace(line) == "```":
			in = false
			q, err := newQuery(lines)
			q.Title = title
			if err != nil {
				errs = append(errs, fmt.Errorf("the sql block at line %d: %w", start, err))
				continue
			}
			if seen[q.Name] {
				errs = append(errs, fmt.Errorf("the sql block at line %d: the name %q is used twice", start, q.Name))
			}
			seen[q.Name] = true
			out = append(out, q)
		case in:
			lines = append(lines, line)
		}
	}
	if in {
		errs = append(errs, fmt.Errorf("the sql block at line %d is not closed", start))
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no ```sql block"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("analytics: cookbook: %w", err)
	}
	return out, nil
}

func newQuery(lines []string) (Query, error) {
	if len(lines) == 0 {
		return Query{}, errors.New("it is empty")
	}
	m := nameLine.FindStringSubmatch(strings.TrimSpace(lines[0]))
	if m == nil {
		return Query{}, fmt.Errorf("it must start with a line \"-- name: snake_case_name\", not %q", lines[0])
	}
	q := Query{Name: m[1], SQL: strings.Join(lines, "\n")}
	for _, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "WITH ") {
			continue
		}
		for _, re := range []*regexp.Regexp{instantParamRe, stringParamRe} {
			for _, p := range re.FindAllStringSubmatch(l, -1) {
				q.Params = append(q.Params, p[1])
				if re == instantParamRe {
					q.Instants = append(q.Instants, p[1])
				}
			}
		}
	}
	return q, nil
}

// Params are the values a run gives the cookbook's parameters: a
// time.Time for an instant (used to the second, in UTC), a string
// otherwise.
type Params map[string]any

// Bind returns the query's SQL with its parameters set to params' values.
// Every parameter of the query needs a value of the right kind.
func (q Query) Bind(params Params) (string, error) {
	var errs []error
	out := strings.Split(q.SQL, "\n")
	for i, l := range out {
		if !strings.HasPrefix(strings.TrimSpace(l), "WITH ") {
			continue
		}
		l = instantParamRe.ReplaceAllStringFunc(l, func(s string) string {
			name := instantParamRe.FindStringSubmatch(s)[1]
			t, ok := params[name].(time.Time)
			if !ok {
				errs = append(errs, fmt.Errorf("query %s: parameter %s needs a time.Time, got %T", q.Name, name, params[name]))
				return s
			}
			return "toDateTime('" + t.UTC().Format(time.DateTime) + "', 'UTC') AS " + name
		})
		out[i] = stringParamRe.ReplaceAllStringFunc(l, func(s string) string {
			name := stringParamRe.FindStringSubmatch(s)[1]
			v, ok := params[name].(string)
			if !ok {
				errs = append(errs, fmt.Errorf("query %s: parameter %s needs a string, got %T", q.Name, name, params[name]))
				return s
			}
			return Literal(v) + " AS " + name
		})
	}
	return strings.Join(out, "\n"), errors.Join(errs...)
}

// Literal quotes s as a ClickHouse string literal (backslash escapes, which
// 18.16 and current releases read alike).
func Literal(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}
