package topics

import (
	"fmt"
	"strings"
)

// MarkdownACLs renders the principals and their ACLs as the matrix of the
// docs: principal × resource × operations (docs/topics.md holds this
// output; a test keeps them equal). Every ACL ALLOWs from any host.
func MarkdownACLs() string {
	var b strings.Builder
	b.WriteString("| Principal | Runs as it |\n|---|---|\n")
	for _, p := range Principals() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", p.Kafka(), p.Role)
	}
	b.WriteString("\n| Principal | Resource | Operations |\n|---|---|---|\n")
	for _, p := range Principals() {
		name := "`" + p.Kafka() + "`"
		for _, g := range p.Grants {
			ops := make([]string, len(g.Ops))
			for i, op := range g.Ops {
				ops[i] = string(op)
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", name, markdownResource(g.Resource), strings.Join(ops, ", "))
			name = ""
		}
	}
	return b.String()
}

func markdownResource(r Resource) string {
	s := strings.ToLower(string(r.Type)) + " `" + r.Name + "`"
	if r.Pattern == PatternPrefixed {
		s += " (prefix)"
	}
	return s
}
