package system_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/system"
	"github.com/mallbots/mallbots/app/system/systemtest"
	"github.com/mallbots/mallbots/platform/kafkaauth"
	"github.com/mallbots/mallbots/topics"
)

// readProperties reads a librdkafka client properties file as kcat -F
// does: key=value lines, # comments.
func readProperties(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: a line without =: %q", path, line)
		}
		out[k] = v
	}
	return out
}

// externalProducer is a client configured from the external producers'
// properties file, as kcat -F or confluent-kafka would be.
func externalProducer(t *testing.T) []kgo.Opt {
	t.Helper()
	ext, _ := sys.ClientProperties()
	st, err := os.Stat(ext)
	if err != nil {
		t.Fatal("the external producers' properties file: ", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %o, want 600", ext, st.Mode().Perm())
	}
	p := readProperties(t, ext)
	if p["security.protocol"] != "SASL_PLAINTEXT" || p["sasl.mechanisms"] != kafkaauth.ScramSHA512 ||
		p["sasl.username"] != topics.PrincipalName(topics.RoleExternal) || p["sasl.password"] == "" {
		t.Fatalf("%s: %v", ext, p)
	}
	cfg := kafkaauth.Config{Mechanism: p["sasl.mechanisms"], Username: p["sasl.username"], Password: p["sasl.password"]}
	return append([]kgo.Opt{kgo.SeedBrokers(strings.Split(p["bootstrap.servers"], ",")...), kgo.RequestRetries(0)}, cfg.KgoOpts()...)
}

// The attacks of issue 22, replayed on the embedded default: with no
// credentials, with a wrong password, and with the external producers'
// (who may send commands), nobody may append a forged event, delete the
// event topic or commit a processor group's offsets. The external producer
// still sends a command, so the refusals are the ACLs', not a broken login.
func TestTheEmbeddedBrokerRefusesForgingDeletingAndCommittingForProcessors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	events := topics.Stores.Events.Name
	admin, err := kgo.NewClient(kafkaAs(t, topics.RoleAdmin)...)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	adm := kadm.NewClient(admin)
	before, err := adm.ListEndOffsets(ctx, events)
	if err != nil {
		t.Fatal(err)
	}

	external := externalProducer(t)
	wrong := kafkaauth.Config{Mechanism: kafkaauth.ScramSHA512, Username: topics.PrincipalName(topics.RoleExternal), Password: "guess"}
	attackers := map[string][]kgo.Opt{
		"no credentials":    {kgo.SeedBrokers(sys.Brokers()...), kgo.RequestRetries(0)},
		"a wrong password":  append([]kgo.Opt{kgo.SeedBrokers(sys.Brokers()...), kgo.RequestRetries(0)}, wrong.KgoOpts()...),
		"external producer": external,
	}
	for who, opts := range attackers {
		cl, err := kgo.NewClient(append(opts, kgo.RecordDeliveryTimeout(5*time.Second), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
		if err != nil {
			t.Fatal(err)
		}
		forged := &kgo.Record{Topic: events, Partition: 0, Key: []byte("some-store"), Value: []byte("Hacked Store")}
		if err := cl.ProduceSync(ctx, forged).FirstErr(); err == nil {
			t.Errorf("%s: a forged record was appended to %s", who, events)
		} else if who == "external producer" && !errors.Is(err, kerr.TopicAuthorizationFailed) {
			t.Errorf("%s: producing to %s failed with %v, want TOPIC_AUTHORIZATION_FAILED", who, events, err)
		}
		deleted, err := kadm.NewClient(cl).DeleteTopics(ctx, events)
		if err == nil && deleted[events].Err == nil {
			t.Errorf("%s: deleted %s", who, events)
		}
		offsets := kadm.Offsets{}
		offsets.AddOffset(topics.Stores.Commands.Name, 0, 1_000_000, -1)
		committed, err := kadm.NewClient(cl).CommitOffsets(ctx, topics.Stores.Group, offsets)
		if err == nil && committed.Error() == nil {
			t.Errorf("%s: committed offsets for the processor group %s", who, topics.Stores.Group)
		}
		cl.Close()
	}

	after, err := adm.ListEndOffsets(ctx, events)
	if err != nil {
		t.Fatalf("%s after the attacks: %v", events, err)
	}
	before.Each(func(o kadm.ListedOffset) {
		if a, _ := after.Lookup(o.Topic, o.Partition); a.Offset != o.Offset {
			t.Errorf("%s/%d: end offset %d → %d", o.Topic, o.Partition, o.Offset, a.Offset)
		}
	})
	described, err := adm.FetchOffsets(ctx, topics.Stores.Group)
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := described.Lookup(topics.Stores.Commands.Name, 0); ok && o.At == 1_000_000 {
		t.Error("the forged commit of the stores group is in place")
	}

	// The external producer may send commands: its login works.
	cl, err := kgo.NewClient(external...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topics.Stores.Commands.Name, Key: []byte("not-a-command"), Value: []byte("x")}).FirstErr(); err != nil {
		t.Errorf("the external producer cannot write %s: %v", topics.Stores.Commands.Name, err)
	}
}

// Each principal's password is generated into the data directory, a file
// each, mode 0600, and every catalogue principal has one.
func TestEveryPrincipalHasGeneratedCredentialsReadableOnlyByTheOwner(t *testing.T) {
	dir := sys.CredentialsDir()
	if dir == "" {
		t.Fatal("the system runs without per-principal credentials")
	}
	for _, p := range topics.Principals() {
		st, err := os.Stat(dir + "/" + p.Name)
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o, want 600", p.Name, st.Mode().Perm())
		}
	}
}

// A processor role on another instance joins with the credentials
// directory and answers its probes; without it, it cannot even start.
func TestAProcessorRoleJoinsWithTheCredentialsDirectoryAndNotWithout(t *testing.T) {
	log := systemtest.Log()
	start := func(cfg system.Config, within time.Duration) (*system.System, error) {
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		cfg.DataDir, cfg.HTTPAddr, cfg.Log = t.TempDir(), "127.0.0.1:0", log
		s, err := system.Start(ctx, cfg)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = s.Shutdown(ctx)
		})
		for s.Ready() != nil {
			if ctx.Err() != nil {
				return nil, s.Ready()
			}
			time.Sleep(20 * time.Millisecond)
		}
		return s, nil
	}
	role := system.Config{Brokers: sys.Brokers(), SchemaRegistry: sys.RegistryURL(), ClickHouse: sys.ClickHouseAddr(),
		KafkaCredentialsDir: sys.CredentialsDir(), Components: []string{"customers"}, InstanceID: "b"}
	b, err := start(role, time.Minute)
	if err != nil {
		t.Fatal("start a processor role with the credentials directory: ", err)
	}
	health := clientOf(t, "http://"+b.HTTPAddr(), "")
	health.Do("GET", "/readyz", nil).Expect(t, http.StatusOK)
	api(t).Do("POST", "/api/customers", map[string]any{"name": "Shared", "smsNumber": "+15550100"}).Expect(t, http.StatusCreated)

	anonymous := role
	anonymous.KafkaCredentialsDir, anonymous.InstanceID = "", "anonymous"
	if _, err := start(anonymous, 10*time.Second); err == nil {
		t.Error("an instance without credentials started against the broker")
	}
}
