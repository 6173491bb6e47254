package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/mallbots/mallbots/app/system"
)

type runCmd struct {
	DataDir             string        `help:"Where the embedded setup keeps its data." default:".mallbots" env:"MALLBOTS_DATA_DIR"`
	HTTPAddr            string        `help:"HTTP API listen address." default:"127.0.0.1:8080" env:"MALLBOTS_HTTP_ADDR"`
	KafkaAddr           string        `help:"Embedded broker listen address." default:"127.0.0.1:9092" env:"MALLBOTS_KAFKA_ADDR"`
	RegistryAddr        string        `help:"Embedded schema registry listen address." default:"127.0.0.1:8081" env:"MALLBOTS_REGISTRY_ADDR"`
	ClickhouseTCPAddr   string        `name:"clickhouse-tcp-addr" help:"Managed ClickHouse server native address." default:"127.0.0.1:9000" env:"MALLBOTS_CLICKHOUSE_TCP_ADDR"`
	Brokers             []string      `help:"External Kafka bootstrap brokers (replaces the embedded broker)." env:"MALLBOTS_BROKERS"`
	SchemaRegistry      string        `help:"External schema registry URL (replaces the embedded one)." env:"MALLBOTS_SCHEMA_REGISTRY"`
	Clickhouse          string        `help:"External ClickHouse native address host:port (replaces the managed server); user and password from MALLBOTS_CLICKHOUSE_USER and MALLBOTS_CLICKHOUSE_PASSWORD." env:"MALLBOTS_CLICKHOUSE"`
	ClickhouseCluster   string        `name:"clickhouse-cluster" help:"With --clickhouse: migrate ON CLUSTER this cluster with Replicated tables (see mallbots migrate --help). Empty: one server." env:"MALLBOTS_CLICKHOUSE_CLUSTER"`
	SyncWrites          bool          `help:"Embedded broker fsyncs every batch (survives machine crashes, slower)." env:"MALLBOTS_SYNC_WRITES"`
	RequestTimeout      time.Duration `help:"How long a write waits for its command's result before answering 202." default:"5s" env:"MALLBOTS_REQUEST_TIMEOUT"`
	SampleTraffic       bool          `help:"Once ready, send sample traffic through the HTTP API and print what was created; once per data directory (DATA_DIR/sample-traffic-sent records it; delete it to send again)." env:"MALLBOTS_SAMPLE_TRAFFIC"`
	Components          string        `help:"What this instance runs: all (default), none (only the embedded broker, registry and ClickHouse), or component names; prefix a name with - to leave it out (e.g. all,-payments). Names: stores, products, customers, baskets, orders, payments, invoices, shoppinglists, bots, saga.createorder, policies, notifications, saga-clock, api, botpool, projection.events, projection.state, projection.notifications, projection.search, projection.analytics." default:"all" env:"MALLBOTS_COMPONENTS"`
	SagaStepTimeout     time.Duration `help:"How long a create-order saga step waits for its reply before the order is rejected." default:"10s" env:"MALLBOTS_SAGA_STEP_TIMEOUT"`
	Bots                int           `help:"How many bots shop for the depot (bot-1..bot-N); 0 runs none." default:"3" env:"MALLBOTS_BOTS"`
	BotShoppingTime     time.Duration `help:"How long a bot shops for one shopping list." default:"200ms" env:"MALLBOTS_BOT_SHOPPING_TIME"`
	ChainKeyFile        string        `name:"chain-key-file" help:"A file whose bytes key the hash chain of the events (HMAC-SHA-256, docs/adr/0021); every instance and mallbots verify need the same file. Default none: plain SHA-256." env:"MALLBOTS_CHAIN_KEY_FILE"`
	InsecureKafkaNoAuth bool          `name:"insecure-kafka-no-auth" help:"Run the embedded broker WITHOUT SASL and ACLs: anyone who reaches it may rewrite or delete the event log. Logs a warning. Default: the embedded broker requires SASL/SCRAM-SHA-512 with each component's generated credentials (<data-dir>/credentials) and enforces the catalogue's ACLs." env:"MALLBOTS_INSECURE_KAFKA_NO_AUTH"`
	InstanceID          string        `name:"instance-id" help:"This instance's name in its Kafka client ids, so a consumer group's description shows which instance owns which partitions (default: the host name)." env:"MALLBOTS_INSTANCE_ID"`
	SessionTimeout      time.Duration `name:"session-timeout" help:"How long the Kafka group coordinator waits for a silent processor instance before it moves its partitions to the others. The broker must allow it (group.min.session.timeout.ms); raise it where a process can stall for longer (CPU throttling)." default:"3s" env:"MALLBOTS_SESSION_TIMEOUT"`
	HotStandby          bool          `name:"hot-standby" help:"Keep every partition of each processor group's table up to date here, not only the assigned ones, and recover them before joining the group: a partition taken over from a failed instance needs no table recovery. Costs a full copy of each table per instance." env:"MALLBOTS_HOT_STANDBY"`
	MemoryLimit         string        `help:"A soft limit on this process's Go memory, as GOMEMLIMIT takes it (900MiB, 2GiB; off for none): near it the garbage collector runs more often instead of letting the heap grow to twice what is live, which starting (every store recovering its table at once) otherwise does. GOMEMLIMIT, when set, wins." default:"900MiB" env:"MALLBOTS_MEMORY_LIMIT"`
	OtlpEndpoint        string        `name:"otlp-endpoint" help:"Export traces over OTLP/HTTP to this collector URL (e.g. http://otel-collector:4318; /v1/traces is appended when the URL has no path). Empty: no export; trace context is still carried in Kafka headers." env:"MALLBOTS_OTLP_ENDPOINT"`
	kafkaSecurity
	durabilityFlags
	authFlags
}

// limitMemory sets the Go runtime's soft memory limit from --memory-limit,
// unless GOMEMLIMIT (which the runtime has applied already) is set. With
// none, a cold start peaked at 1.4 GiB resident for 0.6 GiB live: the
// stores' memtables and recovery batches, garbage collected only once the
// heap had doubled (docs/benchmarks.md). The limit is soft: a live heap
// above it still grows, at the cost of more frequent collections.
func (r *runCmd) limitMemory(log *slog.Logger) error {
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	n, err := parseMemoryLimit(r.MemoryLimit)
	if err != nil {
		return err
	}
	if n > 0 {
		debug.SetMemoryLimit(n)
		log.Debug("soft memory limit set", "limit", r.MemoryLimit)
	}
	return nil
}

// parseMemoryLimit reads a size as GOMEMLIMIT does (a number of bytes with
// an optional B, KiB, MiB, GiB or TiB), or "off" for no limit (0).
func parseMemoryLimit(s string) (int64, error) {
	if s == "off" || s == "" {
		return 0, nil
	}
	num, unit := s, int64(1)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			num, unit = strings.TrimSuffix(s, u.suffix), u.size
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/unit {
		return 0, fmt.Errorf("--memory-limit %q: want a size such as 900MiB or 2GiB (B, KiB, MiB, GiB, TiB), or off", s)
	}
	return n * unit, nil
}

// botCount maps --bots=0 (no bots) to system.NoBots: a zero Config.Bots
// means the default.
func (r *runCmd) botCount() int {
	if r.Bots <= 0 {
		return system.NoBots
	}
	return r.Bots
}

func (r *runCmd) Run(log *slog.Logger) error {
	ctx, stop := interruptible()
	defer stop()

	if err := r.limitMemory(log); err != nil {
		return err
	}
	kafka, err := r.config()
	if err != nil {
		return err
	}
	sec, err := secrets(envRegistryUser, envRegistryPassword, envClickHouseUser, envClickHousePass)
	if err != nil {
		return err
	}
	chainKey, err := readChainKey(r.ChainKeyFile)
	if err != nil {
		return err
	}
	apiAuth, err := r.authConfig()
	if err != nil {
		return err
	}
	sys, err := system.Start(ctx, system.Config{
		ChainKey: chainKey,
		DataDir:  r.DataDir, HTTPAddr: r.HTTPAddr, KafkaAddr: r.KafkaAddr, RegistryAddr: r.RegistryAddr,
		ClickHouseTCPAddr: r.ClickhouseTCPAddr, Brokers: r.Brokers, SchemaRegistry: r.SchemaRegistry,
		ReplicationFactor: r.ReplicationFactor, MinInsyncReplicas: r.MinInsyncReplicas,
		ClickHouse: r.Clickhouse, ClickHouseCluster: r.ClickhouseCluster, ClickHouseUser: sec[2], ClickHousePassword: sec[3],
		Kafka: kafka, InsecureKafkaNoAuth: r.InsecureKafkaNoAuth, KafkaCredentialsDir: r.KafkaCredentialsDir, RegistryUser: sec[0], RegistryPassword: sec[1],
		InstanceID: r.InstanceID, HotStandby: r.HotStandby, SessionTimeout: r.SessionTimeout,
		SyncWrites: r.SyncWrites, RequestTimeout: r.RequestTimeout, Log: log,
		SagaStepTimeout: r.SagaStepTimeout,
		Bots:            r.botCount(), BotShoppingTime: r.BotShoppingTime,
		Components: strings.Split(r.Components, ","),

		OTLPEndpoint: r.OtlpEndpoint,
		Auth:         apiAuth,
	})
	if err != nil {
		return err
	}
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		log.Info("shutting down")
		if err := sys.Shutdown(shutdownCtx); err != nil {
			log.Error("unclean shutdown", "err", err)
		}
	}()

	if err := waitReady(ctx, sys, log); err != nil {
		return err
	}
	// Starting reads a lot once: the embedded broker indexes every segment,
	// the stores recover their tables. Go hands freed memory back to the
	// operating system only gradually, so without this the process kept
	// its start-up peak resident for minutes (docs/benchmarks.md).
	debug.FreeOSMemory()
	log.Info("MallBots is ready",
		"api", "http://"+sys.HTTPAddr(), "kafka", sys.Brokers(), "schema_registry", sys.RegistryURL(),
		"clickhouse", sys.ClickHouseAddr())
	if url := sys.ConsoleURL(); url != "" {
		fmt.Fprintf(os.Stdout, "Web console: %s (sign in with a token: ./bin/mallbots token --role kiosk%s)\n", url, dataDirFlag(r.DataDir))
	}
	if r.SampleTraffic {
		err := sampleOnce(ctx, r.DataDir, os.Stdout, func(ctx context.Context) (string, error) { return runSample(ctx, sys) })
		if err != nil {
			log.Error("sample traffic failed", "err", err)
		}
		r.printWhereToLook(sys)
	}
	select {
	case <-ctx.Done():
		return nil
	case <-sys.Done():
		return sys.Err()
	}
}

func waitReady(ctx context.Context, sys *system.System, log *slog.Logger) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last, lastStatus := time.Now(), ""
	for {
		err := sys.Ready()
		if err == nil {
			return nil
		}
		if err.Error() != lastStatus {
			log.Debug("waiting for components to recover", "status", err)
			lastStatus = err.Error()
		}
		if time.Since(last) > 5*time.Second {
			log.Info("waiting for components to recover", "status", err)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return errors.New("interrupted before the system was ready")
		case <-sys.Done():
			return sys.Err()
		case <-tick.C:
		}
	}
}

func port(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i+1:]
		}
	}
	return addr
}

// printWhereToLook prints, after the sample traffic, the commands that
// show what the mall holds, with this run's addresses.
func (r *runCmd) printWhereToLook(sys *system.System) {
	ch := port(sys.ClickHouseAddr())
	fmt.Fprintf(os.Stdout, "\nWhere to look:\n"+
		"  the web console: http://%[1]s/ (its sign-in page says which token each page needs)\n"+
		"  TOKEN=$(./bin/mallbots token --role operator%[4]s)\n"+
		"  curl -H \"Authorization: Bearer $TOKEN\" http://%[1]s/api/stores\n"+
		"  clickhouse-client --port %[2]s --query 'SELECT name, location, participating, version FROM mallbots.stores FINAL'\n"+
		"  clickhouse-client --port %[2]s --query 'SELECT status, count() FROM mallbots.orders FINAL GROUP BY status'\n"+
		"  clickhouse-client --port %[2]s --query 'SELECT aggregate_type, event_type, aggregate_version FROM mallbots.events FINAL ORDER BY occurred_at_ms'\n"+
		"  clickhouse-client --port %[2]s --query 'SELECT kind, text FROM mallbots.notifications FINAL ORDER BY sent_at'\n"+
		"  more shoppers: %[3]s\n"+
		"  data: %[5]s\n",
		sys.HTTPAddr(), ch, loadCommand(sys.HTTPAddr(), sys.ClickHouseAddr(), r.DataDir), dataDirFlag(r.DataDir), r.DataDir)
	if ext, adm := sys.ClientProperties(); ext != "" {
		fmt.Fprintf(os.Stdout, "  Kafka as an external producer: kcat -F %s -L   (confluent-kafka reads the same file; docs/producers.md)\n"+
			"  Kafka as the break-glass admin: %s   (credentials of every principal: %s)\n", ext, adm, sys.CredentialsDir())
	}
	fmt.Fprintf(os.Stdout, "Press Ctrl-C to stop.\n")
}
