package chaos

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/mallbots/mallbots/topics"
)

// The attempts of the tamper scenario's first part: requests a client
// sends straight to the broker (no client-side metadata check in the way),
// so that what refuses them is the broker's own answer to that request.

// Attack kinds, as the report names them.
const (
	attackProduce     = "produce"
	attackDeleteRecs  = "delete-records"
	attackDeleteTopic = "delete-topic"
	attackAlterCfg    = "alter-configs"
	attackIncrAlter   = "incremental-alter-configs"
	attackCommit      = "commit-offsets"
)

// attackKinds is the order of the attacks on each target: the topic's
// deletion last, so that against a broker that allowed everything each
// attack would still find its target (tamper_test.go).
var attackKinds = []string{attackProduce, attackDeleteRecs, attackAlterCfg, attackIncrAlter, attackDeleteTopic, attackCommit}

// tamperMarker starts the key of every record an attacker tries to append,
// so that one that landed is found among the processors' own.
const tamperMarker = "chaos-tamper-"

// attempt is one request an attacker sent and how the broker answered.
type attempt struct {
	who, kind, target string
	// answer is the Kafka error code's name, "accepted" for none, or what
	// happened when the broker gave no Kafka answer.
	answer  string
	refused bool
}

// tamperTargets are what the attackers aim at: every event topic and every
// table topic of the catalogue's groups, and every processor group with
// the partitions of its inputs.
type tamperTargets struct {
	topics []string
	groups []topics.GroupFlow
}

func targetsOfTamper() tamperTargets {
	var t tamperTargets
	for _, a := range topics.EngineAggregates() {
		t.topics = append(t.topics, a.Events.Name)
	}
	for _, f := range topics.GroupFlows() {
		if f.Table != "" {
			t.topics = append(t.topics, f.Table)
		}
		t.groups = append(t.groups, f)
	}
	return t
}

func partitionsOf(name string) int32 {
	if t, ok := topics.ByName(name); ok {
		return t.Partitions
	}
	return 1
}

// attackAll sends every attack of kinds (nil: attackKinds) to every target
// as who, with a client of opts, and returns the attempts.
func attackAll(ctx context.Context, who string, opts []kgo.Opt, t tamperTargets, kinds []string) ([]attempt, error) {
	if kinds == nil {
		kinds = attackKinds
	}
	cl, err := kgo.NewClient(append(slices.Clone(opts), kgo.RequestRetries(0), kgo.MaxVersions(kversion.V3_6_0()),
		kgo.DialTimeout(3*time.Second))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	seeds := cl.SeedBrokers()
	if len(seeds) == 0 {
		return nil, errors.New("the attacker's client has no seed broker")
	}
	b := seeds[0]
	var out []attempt
	send := func(kind, target string, req kmsg.Request) {
		if !slices.Contains(kinds, kind) {
			return
		}
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		resp, err := b.Request(actx, req)
		out = append(out, judge(who, kind, target, resp, err))
	}
	for _, name := range t.topics {
		send(attackProduce, name, produceRequest(name))
		send(attackDeleteRecs, name, deleteRecordsRequest(name))
		send(attackAlterCfg, name, alterConfigsRequest(name))
		send(attackIncrAlter, name, incrementalAlterRequest(name))
		send(attackDeleteTopic, name, deleteTopicRequest(name))
	}
	for _, f := range t.groups {
		send(attackCommit, f.Group, commitRequest(f))
	}
	return out, ctx.Err()
}

// judge turns a response or a failed request into an attempt: refused
// when every part of the answer carries an error code, or when the broker
// gave no Kafka answer at all (it closes the connection of a client that
// has not authenticated).
func judge(who, kind, target string, resp kmsg.Response, err error) attempt {
	a := attempt{who: who, kind: kind, target: target}
	if err != nil {
		a.refused = true
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			a.answer = "no answer within 5s"
		default:
			a.answer = "connection refused or closed: " + shortErr(err)
		}
		return a
	}
	cs := errorCodes(resp)
	var names []string
	a.refused = len(cs) > 0
	for _, c := range cs {
		if c == 0 {
			a.refused = false
			names = append(names, "accepted")
			continue
		}
		name := fmt.Sprintf("error code %d", c)
		if e, ok := kerr.ErrorForCode(c).(*kerr.Error); ok {
			name = fmt.Sprintf("%s (%d)", e.Message, c)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	a.answer = strings.Join(slices.Compact(names), "+")
	if len(cs) == 0 {
		a.answer = "an answer with nothing in it"
	}
	return a
}

// errorCodes lists every ErrorCode field of a response, in order: the
// answers of the attacks carry one per partition (produce, delete-records,
// commit), per topic (delete-topic) or per resource (the alter-configs),
// and nowhere else, so that these are the codes of every part the request
// named.
func errorCodes(resp kmsg.Response) []int16 {
	var out []int16
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				switch {
				case !f.IsExported():
				case f.Name == "ErrorCode" && f.Type.Kind() == reflect.Int16:
					out = append(out, int16(v.Field(i).Int()))
				default:
					walk(v.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(resp))
	return out
}

// shortErr is the first line of an error, without the broker's address.
func shortErr(err error) string {
	var eof *kgo.ErrFirstReadEOF
	if errors.As(err, &eof) {
		return "closed after the first request (SASL required)"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// produceRequest appends one marked record to partition 0 of name.
func produceRequest(name string) kmsg.Request {
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = name
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = recordBatch([]byte(tamperMarker+"forged"), []byte("a forged record: "+name))
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

// recordBatch is a magic-2 batch of one record, as a producer without
// idempotence writes it.
func recordBatch(key, value []byte) []byte {
	rec := kmsg.Record{Key: key, Value: value}
	rec.Length = int32(len(rec.AppendTo(nil)) - 1) // the length of 0 takes one byte
	records := rec.AppendTo(nil)
	now := time.Now().UnixMilli()
	batch := kmsg.RecordBatch{PartitionLeaderEpoch: -1, Magic: 2, FirstTimestamp: now, MaxTimestamp: now,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: 1, Records: records}
	b := batch.AppendTo(nil)
	putInt32(b[8:], int32(len(b)-12))                                                  // Length: what follows it
	putInt32(b[17:], int32(crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))) // CRC-32C from Attributes on
	return b
}

func putInt32(b []byte, v int32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// deleteRecordsRequest deletes the first record of every partition of name.
func deleteRecordsRequest(name string) kmsg.Request {
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.TimeoutMillis = 5000
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = name
	for p := range partitionsOf(name) {
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Partition, rp.Offset = p, 1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

func deleteTopicRequest(name string) kmsg.Request {
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = 5000
	req.TopicNames = []string{name}
	rt := kmsg.NewDeleteTopicsRequestTopic()
	rt.Topic = kmsg.StringPtr(name)
	req.Topics = append(req.Topics, rt)
	return req
}

// tamperRetention is the retention the attackers try to set: a minute,
// which would empty an event log kept forever.
const tamperRetention = "60000"

func alterConfigsRequest(name string) kmsg.Request {
	req := kmsg.NewPtrAlterConfigsRequest()
	rr := kmsg.NewAlterConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeTopic, name
	c := kmsg.NewAlterConfigsRequestResourceConfig()
	c.Name, c.Value = "retention.ms", kmsg.StringPtr(tamperRetention)
	rr.Configs = append(rr.Configs, c)
	req.Resources = append(req.Resources, rr)
	return req
}

func incrementalAlterRequest(name string) kmsg.Request {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	rr := kmsg.NewIncrementalAlterConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeTopic, name
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name, c.Op, c.Value = "retention.ms", kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr(tamperRetention)
	rr.Configs = append(rr.Configs, c)
	req.Resources = append(req.Resources, rr)
	return req
}

// tamperCommitOffset is the offset the attackers try to commit: far past
// every partition's end, so that a commit that took is plain to see.
const tamperCommitOffset = 1_000_000_000

// commitRequest commits, outside any generation, every partition of the
// group's inputs at tamperCommitOffset.
func commitRequest(f topics.GroupFlow) kmsg.Request {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation, req.RetentionTimeMillis = f.Group, -1, -1
	for _, in := range f.Inputs {
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = in
		for p := range partitionsOf(in) {
			rp := kmsg.NewOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch = p, tamperCommitOffset, -1
			rp.Metadata = kmsg.StringPtr(tamperMarker + "commit")
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// summarize counts the attempts by who and kind: "refused n of m
// (answer ×k, …)", and lists the ones that were not refused.
func summarize(atts []attempt) (lines []string, accepted []string) {
	type key struct{ who, kind string }
	total, refused := map[key]int{}, map[key]int{}
	answers := map[key]map[string]int{}
	var whos []string
	for _, a := range atts {
		k := key{a.who, a.kind}
		if !slices.Contains(whos, a.who) {
			whos = append(whos, a.who)
		}
		total[k]++
		if answers[k] == nil {
			answers[k] = map[string]int{}
		}
		answers[k][a.answer]++
		if a.refused {
			refused[k]++
		} else {
			accepted = append(accepted, fmt.Sprintf("%s: %s on %s was not refused (%s)", a.who, a.kind, a.target, a.answer))
		}
	}
	for _, who := range whos {
		for _, kind := range attackKinds {
			k := key{who, kind}
			if total[k] == 0 {
				continue
			}
			var parts []string
			for ans, n := range answers[k] {
				parts = append(parts, fmt.Sprintf("%s ×%d", ans, n))
			}
			slices.Sort(parts)
			lines = append(lines, fmt.Sprintf("%s, %s: refused %d of %d (%s)", who, kind, refused[k], total[k], strings.Join(parts, ", ")))
		}
	}
	return lines, accepted
}
