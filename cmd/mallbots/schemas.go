package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

type schemasCmd struct {
	Check schemasCheckCmd `cmd:"" help:"Check every version of every subject of the contract against a live schema registry: registered, or acceptable to register; exits non-zero on an incompatible or conflicting one."`
}

// schemasCheckCmd asks the registry, for every subject of the contract
// (topic × record type) and every version of it, whether it is registered
// under that version number, and if not whether registering it would be
// accepted (the registry's compatibility endpoint). It registers nothing, so
// it is safe to run against production before a deployment. The versions
// the contract adds are each checked against what the registry holds; their
// compatibility with each other is the test suite's to prove (go test
// ./platform/registry registers every committed version in order).
type schemasCheckCmd struct {
	SchemaRegistry string        `help:"Schema registry URL (Confluent-compatible)." default:"http://127.0.0.1:8081" env:"MALLBOTS_SCHEMA_REGISTRY"`
	Timeout        time.Duration `help:"Give up after this long." default:"60s"`
}

func (c *schemasCheckCmd) Run() error {
	cl, err := registryClient(c.SchemaRegistry)
	if err != nil {
		return err
	}
	types, err := contract.Types()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	reports, err := checkContract(ctx, cl, types, topics.All())
	if err != nil {
		return fmt.Errorf("check the contract against the schema registry at %s: %w (is it up? give its URL with --schema-registry)", c.SchemaRegistry, err)
	}
	return printReports(reports)
}

// subjectReport is what the registry says about one subject of the contract.
type subjectReport struct {
	subject      string
	versions     int      // the contract's versions of the subject
	notes        []string // per version: registered, or would be accepted
	incompatible []string // versions the registry would refuse, and why
	conflicts    []string // where the registry's versions and the contract's differ
}

func (r subjectReport) status() string {
	switch {
	case len(r.incompatible) > 0:
		return "INCOMPATIBLE"
	case len(r.conflicts) > 0:
		return "CONFLICT"
	}
	return "ok"
}

// checkContract checks every subject the catalogue ts implies.
func checkContract(ctx context.Context, cl *sr.Client, types []schemas.Type, ts []topics.Topic) ([]subjectReport, error) {
	byName := map[string]schemas.Type{}
	for _, t := range types {
		byName[t.Name] = t
	}
	var out []subjectReport
	for _, topic := range ts {
		for _, name := range topic.Values {
			typ, ok := byName[name]
			if !ok {
				return nil, fmt.Errorf("topic %s carries %s, which has no schema", topic.Name, name)
			}
			r, err := checkSubject(ctx, cl, serde.Subject(topic.Name, name), typ)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func checkSubject(ctx context.Context, cl *sr.Client, subject string, typ schemas.Type) (subjectReport, error) {
	r := subjectReport{subject: subject, versions: typ.Latest()}
	registered, err := cl.SubjectVersions(ctx, subject)
	if err != nil && !isRegistryError(err, sr.ErrSubjectNotFound) {
		return r, fmt.Errorf("list the versions of %s: %w", subject, err)
	}
	ours := map[int]bool{}
	for i, text := range typ.Versions {
		v, s := i+1, sr.Schema{Schema: text, Type: sr.TypeAvro}
		ss, err := cl.LookupSchema(ctx, subject, s)
		if err == nil {
			ours[ss.Version] = true
			if ss.Version == v {
				r.notes = append(r.notes, fmt.Sprintf("v%d id %d", v, ss.ID))
			} else {
				r.conflicts = append(r.conflicts, fmt.Sprintf("v%d is the registry's version %d (id %d)", v, ss.Version, ss.ID))
			}
			continue
		}
		if !isRegistryError(err, sr.ErrSchemaNotFound, sr.ErrSubjectNotFound) {
			return r, fmt.Errorf("look up %s v%d: %w", subject, v, err)
		}
		res, err := cl.CheckCompatibility(sr.WithParams(ctx, sr.Verbose), subject, -2, s)
		if isRegistryError(err, sr.ErrSubjectNotFound) {
			res, err = sr.CheckCompatibilityResult{Is: true}, nil // a new subject accepts anything
		}
		if err != nil {
			return r, fmt.Errorf("check the compatibility of %s v%d: %w", subject, v, err)
		}
		if res.Is {
			r.notes = append(r.notes, fmt.Sprintf("v%d not registered yet, would be accepted", v))
		} else {
			r.incompatible = append(r.incompatible, fmt.Sprintf("v%d would be refused: %s", v, strings.Join(res.Messages, "; ")))
		}
	}
	for _, v := range registered {
		if !ours[v] {
			r.conflicts = append(r.conflicts, fmt.Sprintf("the registry's version %d is no version of the contract", v))
		}
	}
	return r, nil
}

// isRegistryError reports whether err is a registry error response with one
// of the codes of want.
func isRegistryError(err error, want ...*sr.Error) bool {
	var re *sr.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	for _, w := range want {
		if re.ErrorCode == w.Code {
			return true
		}
	}
	return false
}

// printReports prints one line per subject and a summary, and returns an
// error naming the subjects that are incompatible or conflicting.
func printReports(reports []subjectReport) error {
	var versions, pending int
	var bad []string
	for _, r := range reports {
		details := append(append(append([]string(nil), r.incompatible...), r.conflicts...), r.notes...)
		fmt.Printf("%-12s  %s: %s\n", r.status(), r.subject, strings.Join(details, "; "))
		versions += r.versions
		for _, n := range r.notes {
			if strings.Contains(n, "would be accepted") {
				pending++
			}
		}
		if r.status() != "ok" {
			bad = append(bad, r.subject)
		}
	}
	fmt.Printf("%d subjects, %d versions: %d not registered yet but compatible; subjects incompatible or conflicting: %d\n",
		len(reports), versions, pending, len(bad))
	if len(bad) > 0 {
		return fmt.Errorf("subjects incompatible or conflicting with the registry: %s (an incompatible version needs a new schema that can read what the registry holds; a conflict means the registry holds versions of the subject that are not the contract's, or not in its order)",
			strings.Join(bad, ", "))
	}
	return nil
}
