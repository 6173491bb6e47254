package registry_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// A restarted broker and registry serve exactly the subjects, versions and
// ids served before, and new registrations get ids never used before.
func TestRestartServesTheSameIDsAndVersions(t *testing.T) {
	dir := t.TempDir()
	subjects := []string{"orders-value", "users-value", "copies-value"}

	e := start(t, dir)
	o1 := e.register("orders-value", user(fID))
	o2 := e.register("orders-value", user(fID, fEmail))
	u1 := e.register("users-value", user(fID, fName))
	c1 := e.register("copies-value", user(fID)) // the schema of orders v1: same id
	if c1.ID != o1.ID {
		t.Fatalf("an identical schema under another subject got id %d, want the existing %d", c1.ID, o1.ID)
	}
	if ids := []int{o1.ID, o2.ID, u1.ID}; ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
		t.Fatalf("distinct schemas share ids: %v", ids)
	}
	before := snapshot(e, subjects)
	e.cluster.Compact() // every key is unique, so compaction must keep every version
	e.stop()

	e = start(t, dir)
	if after := snapshot(e, subjects); !reflect.DeepEqual(after, before) {
		t.Fatalf("after restart the registry serves\n%v\nwant\n%v", after, before)
	}
	for _, ss := range []sr.SubjectSchema{o1, o2, u1} {
		s, err := e.cl.SchemaByID(context.Background(), ss.ID)
		if err != nil || s.Schema != ss.Schema.Schema {
			t.Fatalf("after restart id %d is %q (%v), want %q", ss.ID, s.Schema, err, ss.Schema.Schema)
		}
	}
	if again := e.register("orders-value", user(fID, fEmail)); again.ID != o2.ID || again.Version != 2 {
		t.Fatalf("re-registering orders v2 after restart gave version %d id %d, want version 2 id %d", again.Version, again.ID, o2.ID)
	}
	o3 := e.register("orders-value", user(fID, fEmail, fAge))
	n1 := e.register("new-value", user(fName))
	if o3.Version != 3 || o3.ID != u1.ID+1 || n1.ID != u1.ID+2 {
		t.Fatalf("after restart new registrations got orders v%d id %d and new-value id %d; want v3 with ids %d and %d",
			o3.Version, o3.ID, n1.ID, u1.ID+1, u1.ID+2)
	}
	subjects = append(subjects, "new-value")
	before = snapshot(e, subjects)
	e.stop()

	e = start(t, dir)
	if after := snapshot(e, subjects); !reflect.DeepEqual(after, before) {
		t.Fatalf("after the second restart the registry serves\n%v\nwant\n%v", after, before)
	}
}

// snapshot lists every version of subjects as "subject v<version> id <id> <schema>".
func snapshot(e *env, subjects []string) []string {
	var out []string
	for _, s := range subjects {
		for _, ss := range e.versions(s) {
			out = append(out, fmt.Sprintf("%s v%d id %d %s", ss.Subject, ss.Version, ss.ID, ss.Schema.Schema))
		}
	}
	return out
}

// Concurrent registrations are serialized: every distinct schema gets its own
// id and every subject consecutive versions.
func TestConcurrentRegistrationsGetDistinctIDs(t *testing.T) {
	e := fresh(t)
	const n = 8
	ids := make([]int, n)
	sameIDs := make([]int, n)
	errs := make([]error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			field := fmt.Sprintf(`{"name":"f%d","type":"string"}`, i)
			ids[i], errs[i] = e.cl.RegisterSchema(context.Background(), fmt.Sprintf("s%d-value", i), sr.Schema{Schema: user(field)}, -1, -1)
		}()
		go func() {
			defer wg.Done()
			sameIDs[i], errs[n+i] = e.cl.RegisterSchema(context.Background(), "shared-value", sr.Schema{Schema: user(fID)}, -1, -1)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent registration: %v", err)
		}
	}
	seen := map[int]bool{sameIDs[0]: true}
	for i := range n {
		if sameIDs[i] != sameIDs[0] {
			t.Fatalf("one schema registered concurrently got ids %v", sameIDs)
		}
		if seen[ids[i]] {
			t.Fatalf("distinct schemas share id %d: %v and %d", ids[i], ids, sameIDs[0])
		}
		seen[ids[i]] = true
	}
	if vs := e.versions("shared-value"); len(vs) != 1 {
		t.Fatalf("one schema registered %d times concurrently made %d versions, want 1", n, len(vs))
	}
}
