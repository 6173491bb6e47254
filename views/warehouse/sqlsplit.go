package warehouse

import "strings"

// splitStatements cuts a migration file into statements at every semicolon
// that is outside a string literal, a quoted identifier and a comment, and
// drops pieces that hold only comments and blanks. The native protocol runs
// one statement per request, so a file of several must be cut first.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	meaningful := false // cur holds more than comments and blanks
	flush := func() {
		if meaningful {
			out = append(out, strings.TrimSpace(cur.String()))
		}
		cur.Reset()
		meaningful = false
	}
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				end = len(sql) - i
			}
			i += end - 1 // comments are dropped; the newline is kept below
			continue
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				i = len(sql)
			} else {
				i += end + 3
			}
			cur.WriteByte(' ')
			continue
		case c == '\'' || c == '"' || c == '`':
			end := quotedEnd(sql, i)
			cur.WriteString(sql[i:end])
			meaningful = true
			i = end - 1
			continue
		case c == ';':
			flush()
			continue
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			meaningful = true
		}
		cur.WriteByte(c)
	}
	flush()
	return out
}

// quotedEnd returns the index just past the quoted token that starts at
// start, honouring backslash escapes and doubled quotes; an unterminated
// token runs to the end (the server will then report the syntax error).
func quotedEnd(s string, start int) int {
	q := s[start]
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			if i+1 < len(s) && s[i+1] == q {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(s)
}
