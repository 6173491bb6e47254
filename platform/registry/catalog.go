package registry

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// catalog is what the topic says: every schema version, indexed the ways the
// registration path needs. srfake holds the same versions and serves them; the
// catalog exists beside it because srfake offers no way to list a subject's
// versions or to ask which id a schema would get without registering it, and
// because the compatibility check needs parsed schemas.
type catalog struct {
	subjects  map[string][]*entry // versions in ascending order, consecutive from 1
	byID      map[int]*entry      // the first version registered under each id
	byContent map[string]int      // contentKey → id
	nextID    int
}

// entry is a version with what the catalog derives from it.
type entry struct {
	version
	key  string      // contentKey(schema)
	avro avro.Schema // parsed, references resolved
}

func newCatalog() *catalog {
	return &catalog{
		subjects:  make(map[string][]*entry),
		byID:      make(map[int]*entry),
		byContent: make(map[string]int),
		nextID:    1,
	}
}

// contentKey decides when two schemas are the same schema. It applies srfake's
// own rule (same type, same JSON after re-encoding, same references in any
// order), because srfake decides on its own whether a registration reuses an
// id, and the catalog must predict that decision exactly.
func contentKey(s sr.Schema) (string, error) {
	var doc any
	if err := json.Unmarshal([]byte(s.Schema), &doc); err != nil {
		return "", fmt.Errorf("schema is not JSON: %w", err)
	}
	canonical, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("re-encode schema: %w", err)
	}
	refs := slices.Clone(s.References)
	slices.SortFunc(refs, func(a, b sr.SchemaReference) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d\x00%s", s.Type, canonical)
	for _, ref := range refs {
		fmt.Fprintf(&b, "\x00%s\x00%s\x00%d", ref.Name, ref.Subject, ref.Version)
	}
	return b.String(), nil
}

// lookup returns the version of subject whose schema has content key, or nil.
func (c *catalog) lookup(subject, key string) *entry {
	for _, e := range c.subjects[subject] {
		if e.key == key {
			return e
		}
	}
	return nil
}

// find returns version n of subject, or nil.
func (c *catalog) find(subject string, n int) *entry {
	vs := c.subjects[subject]
	if n < 1 || n > len(vs) {
		return nil
	}
	return vs[n-1]
}

// assign names the version a new schema of subject gets: the next version
// number, and the id an identical schema has under another subject or else a
// fresh one. This is what srfake itself would assign.
func (c *catalog) assign(subject, key string, s sr.Schema) version {
	id, ok := c.byContent[key]
	if !ok {
		id = c.nextID
	}
	return version{subject: subject, version: len(c.subjects[subject]) + 1, id: id, schema: s}
}

// parse parses an Avro schema with its references resolved against the
// catalog. Each parse gets a fresh name cache: hamba's default cache is
// global, and two versions of one record would collide in it.
func (c *catalog) parse(s sr.Schema) (avro.Schema, error) {
	if s.Type != sr.TypeAvro {
		return nil, fmt.Errorf("schema type %s is not supported: the embedded registry checks compatibility of AVRO schemas only", s.Type)
	}
	cache := &avro.SchemaCache{}
	if err := c.loadReferences(s.References, cache, make(map[*entry]bool)); err != nil {
		return nil, err
	}
	parsed, err := parseAvro(s.Schema, cache)
	if err != nil {
		return nil, fmt.Errorf("invalid Avro schema: %w", err)
	}
	return parsed, nil
}

// parseAvro parses one schema text into cache. hamba/avro panics on some
// malformed schemas instead of returning an error (an empty union with a
// default, for one, indexes the union's first branch), and a schema arrives
// from any client, so a panic of the parser is turned into the error it should
// have been: a *parserPanic naming the schema invalid and why.
func parseAvro(text string, cache *avro.SchemaCache) (parsed avro.Schema, err error) {
	defer func() {
		if p := recover(); p != nil {
			parsed, err = nil, &parserPanic{value: p, stack: debug.Stack()}
		}
	}()
	return avro.ParseWithCache(text, "", cache)
}

// parserPanic is a schema the Avro parser panicked on. The schema is refused
// as invalid like any other it cannot parse, but the panic is a bug in the
// parser, so the registry logs it at ERROR with the stack (see refuse).
type parserPanic struct {
	value any
	stack []byte
}

func (p *parserPanic) Error() string {
	return fmt.Sprintf("the Avro parser cannot parse it and panicked: %v", p.value)
}

// loadReferences parses the referenced schemas, their own references first,
// into cache, so that the referencing schema can name their types. A schema
// can only reference versions registered before it, so there are no cycles.
func (c *catalog) loadReferences(refs []sr.SchemaReference, cache *avro.SchemaCache, loaded map[*entry]bool) error {
	for _, ref := range refs {
		e := c.find(ref.Subject, ref.Version)
		if e == nil {
			return fmt.Errorf("reference %q names subject %q version %d, which is not registered", ref.Name, ref.Subject, ref.Version)
		}
		if loaded[e] {
			continue
		}
		loaded[e] = true
		if err := c.loadReferences(e.schema.References, cache, loaded); err != nil {
			return err
		}
		if _, err := parseAvro(e.schema.Schema, cache); err != nil {
			return fmt.Errorf("parse reference %q (%s): %w", ref.Name, e.version, err)
		}
	}
	return nil
}

// prepare checks that v can join the catalog as the next version of its
// subject without contradicting what is there, and derives its entry.
// duplicate is true when v is already there exactly (a record read twice).
func (c *catalog) prepare(v version) (e *entry, duplicate bool, err error) {
	if err := validateSubject(v.subject); err != nil {
		return nil, false, fmt.Errorf("%s: %w", v, err)
	}
	key, err := contentKey(v.schema)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", v, err)
	}
	if old := c.find(v.subject, v.version); old != nil {
		if old.id == v.id && old.key == key {
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("%s contradicts %s registered before with another schema or id", v, old.version)
	}
	if next := len(c.subjects[v.subject]) + 1; v.version != next || v.id < 1 {
		return nil, false, fmt.Errorf("%s does not follow the registered versions: expected version %d and an id above 0", v, next)
	}
	if same := c.lookup(v.subject, key); same != nil {
		return nil, false, fmt.Errorf("%s repeats the schema of %s", v, same.version)
	}
	if first, ok := c.byID[v.id]; ok && first.key != key {
		return nil, false, fmt.Errorf("%s reuses id %d, which names another schema (%s)", v, v.id, first.version)
	}
	if id, ok := c.byContent[key]; ok && id != v.id {
		return nil, false, fmt.Errorf("%s gives a new id to the schema that already has id %d", v, id)
	}
	parsed, err := c.parse(v.schema)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", v, err)
	}
	return &entry{version: v, key: key, avro: parsed}, false, nil
}

// insert adds an entry that prepare accepted.
func (c *catalog) insert(e *entry) {
	c.subjects[e.subject] = append(c.subjects[e.subject], e)
	if _, ok := c.byID[e.id]; !ok {
		c.byID[e.id] = e
		c.byContent[e.key] = e.id
	}
	if e.id >= c.nextID {
		c.nextID = e.id + 1
	}
}

// validateSubject applies the limits srfake applies to subject names, so that a
// version the catalog accepts is one srfake accepts too.
func validateSubject(subject string) error {
	switch {
	case subject == "":
		return fmt.Errorf("subject name is empty")
	case len(subject) > 255:
		return fmt.Errorf("subject name is longer than 255 bytes")
	case strings.ContainsRune(subject, 0):
		return fmt.Errorf("subject name contains a NUL byte")
	}
	return nil
}
