package schemas_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// thing is the Go shape of mallbots.test.Thing at its latest version, v2.
type thing struct {
	ID       string `avro:"id"`
	Name     string `avro:"name"`
	Category string `avro:"category"`
}

const (
	thingV1 = `{"type":"record","name":"Thing","namespace":"mallbots.test","fields":[
		{"name":"id","type":"string"},
		{"name":"name","type":"string"}]}`
	thingV2 = `{"type":"record","name":"Thing","namespace":"mallbots.test","fields":[
		{"name":"id","type":"string"},
		{"name":"name","type":"string"},
		{"name":"category","type":"string","default":"none"}]}`
	thingsTopic   = "test.things"
	thingsSubject = thingsTopic + "-mallbots.test.Thing"
)

var errPoison = errors.New("poisoned thing")

// thingFixture is a Serde that knows only mallbots.test.Thing v1 and v2, on
// its own in-memory registry, and counts what the upcaster and the registry
// are asked.
type thingFixture struct {
	sd      *serde.Serde
	client  *sr.Client
	upcasts []int           // the `from` of every upcast
	fetches atomic.Int32    // GET /schemas/ids/{id}
	mu      sync.Mutex      // guards upcasts
	codecs  []*goavro.Codec // v1, v2
}

func newThingFixture(t *testing.T) *thingFixture {
	t.Helper()
	fx := &thingFixture{}
	reg := srfake.New()
	t.Cleanup(reg.Close)
	reg.Intercept(func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/schemas/ids/") {
			fx.fetches.Add(1)
		}
		return false
	})
	client, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"Thing.v1.avsc": {Data: []byte(thingV1)},
		"Thing.v2.avsc": {Data: []byte(thingV2)},
	}
	upcast := func(from int, native map[string]any) (map[string]any, error) {
		fx.mu.Lock()
		fx.upcasts = append(fx.upcasts, from)
		fx.mu.Unlock()
		if native["name"] == "poison" {
			return nil, errPoison
		}
		native["category"] = "legacy"
		return native, nil
	}
	types, err := schemas.LoadTypes(fsys, "mallbots.test",
		map[string]func() any{"Thing": func() any { return new(thing) }},
		map[string]func(int, map[string]any) (map[string]any, error){"Thing": upcast})
	if err != nil {
		t.Fatalf("LoadTypes: %v", err)
	}
	if len(types) != 1 || types[0].Name != "mallbots.test.Thing" || types[0].Latest() != 2 {
		t.Fatalf("LoadTypes = %+v, want mallbots.test.Thing at v2", types)
	}
	fx.sd, err = serde.New(context.Background(), client, types,
		[]topics.Topic{{Name: thingsTopic, Values: []string{"mallbots.test.Thing"}}})
	if err != nil {
		t.Fatalf("NewSerde: %v", err)
	}
	fx.client = client
	for _, text := range []string{thingV1, thingV2} {
		c, err := goavro.NewCodec(text)
		if err != nil {
			t.Fatal(err)
		}
		fx.codecs = append(fx.codecs, c)
	}
	return fx
}

// writeWith frames a native record written with codec under id, as any
// Confluent serializer would.
func writeWith(t *testing.T, codec *goavro.Codec, id int, native map[string]any) []byte {
	t.Helper()
	b, err := codec.BinaryFromNative(frame(id, nil), native)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (fx *thingFixture) idOf(t *testing.T, version int) int {
	t.Helper()
	ss, err := fx.client.SchemaByVersion(context.Background(), thingsSubject, version)
	if err != nil {
		t.Fatalf("%s v%d: %v", thingsSubject, version, err)
	}
	return ss.ID
}

func (fx *thingFixture) decode(t *testing.T, b []byte) (*thing, error) {
	t.Helper()
	v, err := fx.sd.Decode(context.Background(), serde.Position{Topic: thingsTopic, Partition: 1, Offset: 9}, b)
	if err != nil {
		return nil, err
	}
	got, ok := v.(*thing)
	if !ok {
		t.Fatalf("Decode returned %T, want *thing", v)
	}
	return got, nil
}

func (fx *thingFixture) requireWriter(t *testing.T, b []byte, version int) {
	t.Helper()
	name, v, err := fx.sd.Writer(context.Background(), b)
	if err != nil || name != "mallbots.test.Thing" || v != version {
		t.Fatalf("Writer = %q v%d, %v; want mallbots.test.Thing v%d", name, v, err, version)
	}
}

// A record written with v1 years ago decodes to today's Go value through the
// type's upcaster; a v2 record decodes as it is, without upcasting.
func TestUpcastLiftsOlderVersions(t *testing.T) {
	fx := newThingFixture(t)
	v1ID, v2ID := fx.idOf(t, 1), fx.idOf(t, 2)

	old := writeWith(t, fx.codecs[0], v1ID, map[string]any{"id": "t1", "name": "Lamp"})
	fx.requireWriter(t, old, 1)
	got, err := fx.decode(t, old)
	if err != nil {
		t.Fatalf("Decode v1: %v", err)
	}
	if *got != (thing{ID: "t1", Name: "Lamp", Category: "legacy"}) {
		t.Fatalf("v1 decoded as %+v, want the upcast category", *got)
	}
	if len(fx.upcasts) != 1 || fx.upcasts[0] != 1 {
		t.Fatalf("upcaster called with from = %v, want [1]", fx.upcasts)
	}

	current, err := fx.sd.Encode(thingsTopic, &thing{ID: "t2", Name: "Kite", Category: "toys"})
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if idOf(current) != v2ID {
		t.Fatalf("Encode wrote schema id %d, want v2's %d", idOf(current), v2ID)
	}
	fx.requireWriter(t, current, 2)
	got, err = fx.decode(t, current)
	if err != nil {
		t.Fatalf("Decode v2: %v", err)
	}
	if *got != (thing{ID: "t2", Name: "Kite", Category: "toys"}) {
		t.Fatalf("v2 decoded as %+v", *got)
	}
	if len(fx.upcasts) != 1 {
		t.Fatalf("a v2 record was upcast: calls %v", fx.upcasts)
	}
}

// An upcaster's error is a *DecodeError that wraps it.
func TestUpcastErrorIsADecodeError(t *testing.T) {
	fx := newThingFixture(t)
	b := writeWith(t, fx.codecs[0], fx.idOf(t, 1), map[string]any{"id": "t1", "name": "poison"})
	_, err := fx.decode(t, b)
	requireDecodeError(t, err, serde.Position{Topic: thingsTopic, Partition: 1, Offset: 9})
	if !errors.Is(err, errPoison) {
		t.Fatalf("error %v does not wrap the upcaster's", err)
	}
}

// Another producer registered its own text of the record under our subject
// (fields in another order): its records decode by field names, the schema
// is fetched from the registry once, and no upcaster runs on it.
func TestForeignWriterSchemaDecodesByFieldNames(t *testing.T) {
	ctx := context.Background()
	fx := newThingFixture(t)
	reordered := `{"type":"record","name":"Thing","namespace":"mallbots.test","fields":[
		{"name":"category","type":"string","default":"none"},
		{"name":"name","type":"string"},
		{"name":"id","type":"string"}]}`
	ss, err := fx.client.CreateSchema(ctx, thingsSubject, sr.Schema{Schema: reordered, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	if ss.ID == fx.idOf(t, 1) || ss.ID == fx.idOf(t, 2) {
		t.Fatalf("the registry gave the foreign schema one of our ids (%d); the test proves nothing", ss.ID)
	}
	codec, err := goavro.NewCodec(reordered)
	if err != nil {
		t.Fatal(err)
	}
	b := writeWith(t, codec, ss.ID, map[string]any{"category": "garden", "name": "Rake", "id": "t3"})

	before := fx.fetches.Load() // the client's CreateSchema reads the schema back
	for range 2 {
		got, err := fx.decode(t, b)
		if err != nil {
			t.Fatalf("Decode foreign: %v", err)
		}
		if *got != (thing{ID: "t3", Name: "Rake", Category: "garden"}) {
			t.Fatalf("foreign record decoded as %+v", *got)
		}
	}
	if n := fx.fetches.Load() - before; n != 1 {
		t.Fatalf("fetched the foreign schema %d times, want once (then cached)", n)
	}
	fx.requireWriter(t, b, 0)
	if len(fx.upcasts) != 0 {
		t.Fatalf("a foreign schema was upcast: calls %v", fx.upcasts)
	}
}

// A foreign text that is our v1 up to docs and layout (the same Parsing
// Canonical Form) is recognised as v1, so the upcaster lifts it.
func TestForeignTextOfAVersionIsThatVersion(t *testing.T) {
	ctx := context.Background()
	fx := newThingFixture(t)
	restyled := `{"namespace": "mallbots.test", "type": "record", "name": "Thing", "doc": "their copy",
		"fields": [{"name": "id", "type": "string", "doc": "id"}, {"name": "name", "type": "string"}]}`
	ss, err := fx.client.CreateSchema(ctx, "elsewhere-mallbots.test.Thing", sr.Schema{Schema: restyled, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	if ss.ID == fx.idOf(t, 1) || ss.ID == fx.idOf(t, 2) {
		t.Fatalf("the registry gave the restyled schema one of our ids (%d); the test proves nothing", ss.ID)
	}
	b := writeWith(t, fx.codecs[0], ss.ID, map[string]any{"id": "t4", "name": "Hoe"})
	fx.requireWriter(t, b, 1)
	got, err := fx.decode(t, b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if *got != (thing{ID: "t4", Name: "Hoe", Category: "legacy"}) {
		t.Fatalf("decoded as %+v, want v1 upcast", *got)
	}
}

// Many goroutines meeting a new schema id at once all decode it (run with
// -race to check the reader cache).
func TestConcurrentDecodesOfANewSchema(t *testing.T) {
	ctx := context.Background()
	fx := newThingFixture(t)
	reordered := `{"type":"record","name":"Thing","namespace":"mallbots.test","fields":[
		{"name":"name","type":"string"},{"name":"id","type":"string"}]}`
	ss, err := fx.client.CreateSchema(ctx, thingsSubject, sr.Schema{Schema: reordered, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	codec, err := goavro.NewCodec(reordered)
	if err != nil {
		t.Fatal(err)
	}
	b := writeWith(t, codec, ss.ID, map[string]any{"name": "Net", "id": "t5"})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			v, err := fx.sd.Decode(ctx, serde.Position{Topic: thingsTopic}, b)
			if err == nil && *v.(*thing) != (thing{ID: "t5", Name: "Net"}) {
				err = errors.New("wrong value")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
