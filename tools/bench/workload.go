package bench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/customers"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
)

// The workload is the Customer aggregate's: N customers registered
// (RegisterCustomer), then ChangeSmsNumber commands spread over them at
// random. Customers read no other aggregate, so the figures measure the
// engine, not lookups.
//
// The load generator must not be what is measured: encoding a command with
// the serde costs several microseconds, as much as a baseline's whole
// per-record work. So each command type is encoded once, with placeholder
// ids of the real length, and every command is that template with its ids
// patched in: the same bytes the serde would write (Avro strings are
// length-prefixed; the lengths do not change), at the cost of a copy. The
// baselines produce these same records, so record sizes are equal.

const (
	idLen       = 36 // a UUID string
	smsLen      = 12
	placeCmd    = "cccccccc-cccc-cccc-cccc-cccccccccccc"
	placeAgg    = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
	placeSMS    = "ssssssssssss"
	placeName   = "nnnnnnnnnnnn"
	benchPrefix = "be7c"
)

// template is one encoded command with the positions of its ids.
type template struct {
	raw                 []byte
	cmdAt, aggAt, smsAt int
}

func newTemplate(sd *serde.Serde, cmd schemas.Command) (template, error) {
	b, err := sd.Encode(topics.Customers.Commands.Name, cmd)
	if err != nil {
		return template{}, err
	}
	t := template{raw: b, cmdAt: uniqueIndex(b, placeCmd), aggAt: uniqueIndex(b, placeAgg), smsAt: uniqueIndex(b, placeSMS)}
	if t.cmdAt < 0 || t.aggAt < 0 || t.smsAt < 0 {
		return template{}, fmt.Errorf("bench: cannot find the placeholders of %T in its encoding", cmd)
	}
	return t, nil
}

func uniqueIndex(b []byte, s string) int {
	i := bytes.Index(b, []byte(s))
	if i < 0 || bytes.Contains(b[i+1:], []byte(s)) {
		return -1
	}
	return i
}

// fill returns a copy of the template with the ids patched in.
func (t template) fill(commandID, aggregateID []byte, sms uint64) []byte {
	out := append([]byte(nil), t.raw...)
	copy(out[t.cmdAt:], commandID)
	copy(out[t.aggAt:], aggregateID)
	putDigits(out[t.smsAt:t.smsAt+smsLen], sms)
	return out
}

func putDigits(dst []byte, n uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + n%10)
		n /= 10
	}
}

// workload makes the bench's commands.
type workload struct {
	run      uint32 // distinguishes ids of different runs on one broker
	keys     int
	register template
	change   template
	next     uint64 // command counter
	rng      *rand.Rand
}

func newWorkload(sd *serde.Serde, keys int) (*workload, error) {
	meta := schemas.CommandMeta{CommandID: placeCmd, AggregateID: placeAgg, IssuedAt: time.Now().UTC()}
	reg, err := newTemplate(sd, &customers.RegisterCustomer{CommandMeta: meta, Name: placeName, SMSNumber: placeSMS})
	if err != nil {
		return nil, err
	}
	chg, err := newTemplate(sd, &customers.ChangeSmsNumber{CommandMeta: meta, SMSNumber: placeSMS})
	if err != nil {
		return nil, err
	}
	return &workload{run: rand.Uint32(), keys: keys, register: reg, change: chg, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}, nil
}

// key returns customer i's id: a UUID-shaped string, derived, never stored.
func (w *workload) key(i int) []byte {
	return fmt.Appendf(nil, "%08x-%s-4000-a000-%012x", w.run, benchPrefix, i)
}

// commandID returns a fresh command id.
func (w *workload) commandID() []byte {
	w.next++
	return fmt.Appendf(nil, "%08x-%s-4000-8000-%012x", w.run, benchPrefix, w.next)
}

// Register returns the RegisterCustomer of customer i: key, value, command id.
func (w *workload) Register(i int) (key, value, id []byte) {
	key, id = w.key(i), w.commandID()
	return key, w.register.fill(id, key, uint64(i)), id
}

// Change returns a ChangeSmsNumber for a random registered customer (a new
// number every time, so no command is refused).
func (w *workload) Change() (key, value, id []byte) {
	key, id = w.key(w.rng.IntN(w.keys)), w.commandID()
	return key, w.change.fill(id, key, w.next), id
}

// changeRecord is Change without the command id, for feeds that need none.
func (w *workload) changeRecord() (key, value []byte) {
	key, value, _ = w.Change()
	return key, value
}
