package system_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/system"
	"github.com/mallbots/mallbots/platform/kafkaauth"
	"github.com/mallbots/mallbots/platform/testkit"
)

// TestTheWholeSystemRunsAgainstASASLBroker starts a system whose embedded
// broker requires SASL/SCRAM-SHA-512, so that every Kafka client of the
// system (goka's processors, views and emitters on sarama; the projector,
// the results reader, the registry and the event log on franz-go) must
// authenticate; then a second instance running only a processor role joins
// it with the credentials, and one without them is refused.
func TestTheWholeSystemRunsAgainstASASLBroker(t *testing.T) {
	creds := kafkaauth.Config{Mechanism: kafkaauth.ScramSHA512, Username: "mallbots", Password: "sasl-test-secret"}
	var logOut io.Writer = io.Discard
	if os.Getenv("MALLBOTS_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	start := func(cfg system.Config, within time.Duration) (*system.System, error) {
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		cfg.DataDir, cfg.HTTPAddr, cfg.Log, cfg.FlushInterval = t.TempDir(), "127.0.0.1:0", log, 100*time.Millisecond
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

	a, err := start(system.Config{KafkaAddr: "127.0.0.1:0", RegistryAddr: "127.0.0.1:0", ClickHouseTCPAddr: "127.0.0.1:0",
		Kafka: creds, KafkaSASL: true, InstanceID: "a"}, 2*time.Minute)
	if err != nil {
		t.Fatal("start the system with SASL on its broker: ", err)
	}

	// The system works end to end: API → Kafka → processor → view → ClickHouse.
	api := testkit.API{T: t, Base: "http://" + a.HTTPAddr(), Token: issue(t, a.Issuer(), operator)}
	id := api.Do("POST", "/api/stores", map[string]any{"name": "SASL Books", "location": "Level 9"}).Expect(t, http.StatusCreated).S("id")
	api.Do("GET", "/api/stores/"+id, nil).Expect(t, http.StatusOK)
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{a.ClickHouseAddr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		var n uint64
		err := conn.QueryRow(context.Background(), "SELECT count() FROM mallbots.stores FINAL WHERE id = ?", id).Scan(&n)
		return err == nil && n == 1, "the store is not in ClickHouse yet"
	})

	// A client of the broker without credentials, or with wrong ones, is
	// refused; one with them works.
	if err := ping(a.Brokers(), kafkaauth.Config{}); err == nil {
		t.Error("a client without credentials was accepted")
	}
	wrong := creds
	wrong.Password = "guess"
	if err := ping(a.Brokers(), wrong); err == nil {
		t.Error("a client with a wrong password was accepted")
	}
	if err := ping(a.Brokers(), creds); err != nil {
		t.Errorf("a client with the credentials: %v", err)
	}

	// A processor role joins with the credentials and answers its probes;
	// without them it cannot even start.
	role := system.Config{Brokers: a.Brokers(), SchemaRegistry: a.RegistryURL(), ClickHouse: a.ClickHouseAddr(),
		Kafka: creds, Components: []string{"stores"}, InstanceID: "b"}
	b, err := start(role, time.Minute)
	if err != nil {
		t.Fatal("start a processor role with the credentials: ", err)
	}
	health := testkit.API{T: t, Base: "http://" + b.HTTPAddr()}
	health.Do("GET", "/healthz", nil).Expect(t, http.StatusOK)
	health.Do("GET", "/readyz", nil).Expect(t, http.StatusOK)
	health.Do("GET", "/api/stores/"+id, nil).Expect(t, http.StatusNotFound) // not an API instance
	api.Do("POST", "/api/stores", map[string]any{"name": "Shared Books", "location": "Level 8"}).Expect(t, http.StatusCreated)

	anonymous := role
	anonymous.Kafka, anonymous.InstanceID = kafkaauth.Config{}, "anonymous"
	if _, err := start(anonymous, 10*time.Second); err == nil {
		t.Error("an instance without credentials started against the SASL broker")
	}
}

// ping asks the brokers for their metadata with cfg's security.
func ping(brokers []string, cfg kafkaauth.Config) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.RequestRetries(0)}, cfg.KgoOpts()...)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return cl.Ping(ctx)
}
