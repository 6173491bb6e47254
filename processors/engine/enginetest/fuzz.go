package enginetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/serde"
)

// What the tests of a group's robustness share (the fuzz tests above all):
// each runs the group under goka's tester for the whole test, seeds it with
// the contract's committed records, and must tell an input that stopped the
// group (a ctx.Fail or a panic stops its partition for good) from one that
// did not.

// Start runs gg under tt, with opts, until the test ends. If the group's
// Run returns before then, its error, naming the group, is sent on stopped
// (give it room for every group sent to it).
func Start(tb testing.TB, tt *tester.Tester, gg *goka.GroupGraph, stopped chan<- error, opts ...goka.ProcessorOption) {
	tb.Helper()
	p, err := goka.NewProcessor(nil, gg, append([]goka.ProcessorOption{goka.WithTester(tt)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	go func() {
		err := p.Run(ctx)
		if ctx.Err() == nil {
			stopped <- fmt.Errorf("group %s: %w", gg.Group(), err)
		}
	}()
}

// FailWatch is the processor option that hands the group's callbacks a
// goka.Context noting a ctx.Fail on failed before passing it on, so that the
// record that caused it fails the input that sent it (goka's tester returns
// from Consume either way, and the group's Run reports the stop only a
// moment later). A full failed drops the note; the Fail still happens.
func FailWatch(failed chan<- error) goka.ProcessorOption {
	return goka.WithContextWrapper(func(ctx goka.Context) goka.Context { return failWatch{ctx, failed} })
}

// gokaContext names goka.Context for embedding: embedded under its own name,
// the field would hide the interface's Context method.
type gokaContext = goka.Context

type failWatch struct {
	gokaContext
	failed chan<- error
}

func (c failWatch) Fail(err error) {
	select {
	case c.failed <- err:
	default:
	}
	c.gokaContext.Fail(err)
}

// StopNote says why a group's output fell short when the group has stopped,
// for the end of a failure message: goka's tester returns from Consume once
// the record is taken, and the group's Run reports the failure (on stopped)
// a moment later. It waits 200 ms for that, and is "" if none comes.
func StopNote(stopped <-chan error) string {
	select {
	case err := <-stopped:
		return fmt.Sprintf("\n(the group stopped: %v)", err)
	case <-time.After(200 * time.Millisecond):
		return ""
	}
}

// LatestRecord is the committed record of the latest version of the
// contract's type name (schemas/testdata/records), framed with the schema id
// its writer has on topic: what a producer of the contract puts on topic,
// for a fuzz seed.
func LatestRecord(tb testing.TB, sd *serde.Serde, topic, name string) []byte {
	tb.Helper()
	types, err := contractTypes()
	if err != nil {
		tb.Fatal(err)
	}
	typ, ok := types[name]
	if !ok {
		tb.Fatalf("the contract has no %s", name)
	}
	file := name + ".v" + strconv.Itoa(typ.Latest()) + ".avro"
	body, err := os.ReadFile(filepath.Join(moduleRoot(tb), "schemas", "testdata", "records", file))
	if err != nil {
		tb.Fatal(err)
	}
	head, err := sd.Encode(topic, typ.New())
	if err != nil {
		tb.Fatal(err)
	}
	return append(head[:5:5], body...)
}

// contractTypes are the contract's types by name, read once.
var contractTypes = sync.OnceValues(func() (map[string]schemas.Type, error) {
	types, err := contract.Types()
	if err != nil {
		return nil, err
	}
	byName := make(map[string]schemas.Type, len(types))
	for _, typ := range types {
		byName[typ.Name] = typ
	}
	return byName, nil
})

// moduleRoot is the folder of the go.mod above the test's working
// directory (go test runs a test in its package's folder).
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("no go.mod above %s", dir)
		}
		dir = parent
	}
}
