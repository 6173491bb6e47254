package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/sr"
	"go.opentelemetry.io/otel/trace"

	"github.com/mallbots/mallbots/app/auth"
	"github.com/mallbots/mallbots/app/console"
	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/app/replay"
	"github.com/mallbots/mallbots/emitters"
	"github.com/mallbots/mallbots/platform/broker"
	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/gokart"
	"github.com/mallbots/mallbots/platform/kafkaauth"
	"github.com/mallbots/mallbots/platform/metrics"
	"github.com/mallbots/mallbots/platform/registry"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/processors/idempotency"
	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/schemas/contract"
	"github.com/mallbots/mallbots/schemas/serde"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
	"github.com/mallbots/mallbots/views/analytics"
	"github.com/mallbots/mallbots/views/projections"
	"github.com/mallbots/mallbots/views/search"
	"github.com/mallbots/mallbots/views/warehouse"
)

// System is a running MallBots.
type System struct {
	cfg Config
	log *slog.Logger

	broker   *broker.Broker
	creds    *kafkaauth.Credentials // nil: one identity for every client (Config.Kafka)
	brokers  []string
	registry *registry.Registry
	regURL   string
	ch       *chserver.Server
	chConn   driver.Conn
	// chAnalyst reads as the read-only analyst (the console's charts);
	// with an external ClickHouse it is chConn's user.
	chAnalyst driver.Conn
	// metricsAdm describes every group as the metrics' principal.
	metricsAdm *kadm.Client
	sd         *serde.Serde
	cmds       *emitters.Commands
	clock      *saga.Clock
	http       *http.Server
	httpAddr   string
	// consoleURL is where the web console is served ("" without the API).
	consoleURL string

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	checks  []check
	done    chan struct{}
	errOnce sync.Once
	err     error
	closers []func(context.Context) error

	// projections are the projections this instance runs (projections.go).
	projMu      sync.Mutex
	projections []projectionRef
	report      *projectionsReport

	// metrics is this system's registry (observability.go); tp traces,
	// nil when tracing is off.
	metrics *metrics.Metrics
	tp      trace.TracerProvider

	// stores are the local stores goka has open, for the processors'
	// lookups (gokart.Lookups).
	stores *gokart.Stores
	// runtime is what the processors' groups run on (startProcessors),
	// the API's Idempotency-Keys included (startAPI).
	runtime *engine.Runtime
	// issuer is the API's embedded token issuer (auth.go).
	issuer *auth.Issuer
}

type check struct {
	name  string
	ready func() bool
}

// Start brings the whole system up and returns once every component is
// started (not necessarily recovered: see Ready). On error, whatever was
// started is stopped again.
func Start(ctx context.Context, cfg Config) (_ *System, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &System{cfg: cfg, log: cfg.Log, done: make(chan struct{}), metrics: metrics.New(), stores: new(gokart.Stores)}
	s.report = &projectionsReport{s: s}
	defer func() {
		if err != nil {
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = s.Shutdown(shutdownCtx)
		}
	}()
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	// ClickHouse starts beside Kafka, the registry and the processors,
	// which do not need it: a restart is ready that much sooner. The views
	// and the projections wait for it.
	clickhouseStarted := s.startClickHouseBeside(ctx)
	defer func() {
		if err != nil {
			clickhouseStarted(ctx) // its closers, for the Shutdown above
		}
	}()
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"tracing", s.startTracing},
		{"kafka credentials", s.startCredentials},
		{"kafka", s.startKafka},
		{"topics", s.applyTopics},
		{"schema registry", s.startRegistry},
		{"metrics", s.startMetrics},
		{"processors", func(context.Context) error { return s.startProcessors(runCtx) }},
		{"saga clock", func(context.Context) error { return s.startSagaClock(runCtx) }},
		{"clickhouse", clickhouseStarted},
		{"views and api", func(ctx context.Context) error { return s.startAPI(ctx, runCtx) }},
		{"projections", func(context.Context) error { return s.startProjections(runCtx) }},
		{"bots", func(context.Context) error { return s.startBots(runCtx) }},
	}
	for _, st := range steps {
		t0 := time.Now()
		if err := st.fn(ctx); err != nil {
			return nil, fmt.Errorf("start %s: %w", st.name, err)
		}
		s.log.Debug("started", "component", st.name, "took", time.Since(t0).Round(time.Millisecond))
	}
	return s, nil
}

// HTTPAddr is the address the API listens on.
func (s *System) HTTPAddr() string { return s.httpAddr }

// Brokers are the Kafka bootstrap addresses.
func (s *System) Brokers() []string { return s.brokers }

// EmbeddedBroker is the embedded broker, nil with external brokers: tests
// and the chaos scenarios inject broker faults through it.
func (s *System) EmbeddedBroker() *broker.Broker { return s.broker }

// RegistryURL is the schema registry's URL.
func (s *System) RegistryURL() string { return s.regURL }

// ClickHouseAddr is the ClickHouse native address.
func (s *System) ClickHouseAddr() string {
	if s.ch != nil {
		return s.ch.Addr()
	}
	return s.cfg.ClickHouse
}

// Serde is the system's Avro sd.
func (s *System) Serde() *serde.Serde { return s.sd }

// Commands is the system's command producer.
func (s *System) Commands() *emitters.Commands { return s.cmds }

// Ready returns nil once every component has recovered its state and is
// processing; otherwise it names the ones that have not.
func (s *System) Ready() error {
	var waiting []string
	for _, c := range s.checks {
		if !c.ready() {
			waiting = append(waiting, c.name)
		}
	}
	if len(waiting) > 0 {
		return fmt.Errorf("not ready yet: %v", waiting)
	}
	return nil
}

// Done is closed when a component fails; Err says which.
func (s *System) Done() <-chan struct{} { return s.done }

// Err is the first component failure.
func (s *System) Err() error { return s.err }

func (s *System) fail(component string, err error) {
	s.errOnce.Do(func() {
		s.err = fmt.Errorf("%s: %w", component, err)
		close(s.done)
	})
}

// goRun runs a long-lived component; an error other than cancellation
// fails the system.
func (s *System) goRun(ctx context.Context, name string, fn func(context.Context) error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("component failed", "component", name, "err", err)
			s.fail(name, err)
		}
	}()
}

func (s *System) startKafka(ctx context.Context) error {
	if len(s.cfg.Brokers) > 0 {
		s.brokers = s.cfg.Brokers
		return nil
	}
	dir := s.cfg.dir("kafka")
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		// A new broker: local goka stores from an older broker would be
		// ahead of its (empty) tables, which goka refuses (lovoo/goka#415).
		if err := os.RemoveAll(s.cfg.dir("goka")); err != nil {
			return err
		}
	}
	opts, err := s.brokerOptions()
	if err != nil {
		return err
	}
	b, err := broker.Start(ctx, dir, opts...)
	if err != nil {
		return err
	}
	s.broker = b
	s.brokers = b.Addrs()
	s.closers = append(s.closers, func(context.Context) error { b.Close(); return nil })
	s.log.Info("embedded Kafka broker listening", "addr", s.brokers, "dir", dir)
	if s.cfg.EmbeddedBrokers == 1 {
		s.log.Info("the embedded Kafka is a single broker: every topic has replication factor 1 and min.insync.replicas 1, so one lost disk loses the event log; run a cluster for more (docs/operations.md, From one machine to a cluster)")
	}
	if s.creds != nil {
		return s.writeClientProperties()
	}
	return nil
}

func (s *System) applyTopics(ctx context.Context) error {
	opts, err := s.KafkaOpts(topics.RoleTopics)
	if err != nil {
		return err
	}
	return admin.Run(opts, func(adm *kadm.Client) error {
		d, err := s.durability(ctx, adm)
		if err != nil {
			return err
		}
		created, err := admin.Apply(ctx, adm, topics.All(), admin.WithDurability(d))
		if err != nil {
			return err
		}
		if len(created) > 0 {
			s.log.Info("created topics", "count", len(created), "replication", d.String())
		}
		return nil
	})
}

// durability is how the topics this instance creates are replicated: one
// copy on the embedded single broker, else as Config says or the
// cluster's default (an embedded cluster of several nodes, for the
// multi-broker tests, is replicated as a real one would be, so that
// verify and topics check hold it to the same floor).
func (s *System) durability(ctx context.Context, adm *kadm.Client) (topics.Durability, error) {
	if s.broker != nil && s.cfg.EmbeddedBrokers == 1 {
		return admin.Durability(ctx, adm, admin.WithDurability(topics.SingleBroker()))
	}
	return admin.Durability(ctx, adm, admin.WithReplication(s.cfg.ReplicationFactor, s.cfg.MinInsyncReplicas))
}

func (s *System) startRegistry(ctx context.Context) error {
	url := s.cfg.SchemaRegistry
	if url == "" {
		opts, err := s.kafkaClientOptsAs("registry", topics.RoleRegistry)
		if err != nil {
			return err
		}
		reg, err := registry.Open(ctx, opts, topics.Schemas.Name, s.registryOptions()...)
		if err != nil {
			return err
		}
		s.registry = reg
		s.closers = append(s.closers, func(context.Context) error { reg.Close(); return nil })
		if url, err = reg.Listen(s.cfg.RegistryAddr); err != nil {
			return fmt.Errorf("%w (pick another --registry-addr)", err)
		}
	}
	s.regURL = url
	client, err := sr.NewClient(s.registryClientOpts(url)...)
	if err != nil {
		return err
	}
	s.sd, err = contract.NewSerde(ctx, client)
	return err
}

// startClickHouseBeside starts ClickHouse (the managed server, or a
// connection to the given one) and migrates it in the background. The
// function it returns waits for that and hands the server, the connection
// and their closers to s; it may be called more than once.
func (s *System) startClickHouseBeside(ctx context.Context) func(context.Context) error {
	type started struct {
		srv     *chserver.Server
		conn    driver.Conn
		analyst driver.Conn
		closers []func(context.Context) error
		err     error
	}
	result := make(chan started, 1)
	go func() {
		var st started
		st.srv, st.conn, st.analyst, st.closers, st.err = s.startClickHouse(ctx)
		result <- st
	}()
	var (
		once sync.Once
		err  error
	)
	return func(context.Context) error {
		once.Do(func() {
			st := <-result
			s.ch, s.chConn, s.chAnalyst, err = st.srv, st.conn, st.analyst, st.err
			s.closers = append(s.closers, st.closers...)
		})
		return err
	}
}

// startClickHouse touches nothing of s but reads its configuration: it
// runs beside the other components' start.
func (s *System) startClickHouse(ctx context.Context) (srv *chserver.Server, conn, analyst driver.Conn, closers []func(context.Context) error, err error) {
	var admin, writer, reader *clickhouse.Options
	if s.cfg.ClickHouse == "" {
		srv, err = chserver.Start(ctx, s.cfg.dir("clickhouse"), chserver.WithTCPAddr(s.cfg.ClickHouseTCPAddr), chserver.WithLogger(s.log))
		var bind *chserver.BindError
		if errors.As(err, &bind) {
			return nil, nil, nil, nil, fmt.Errorf("%w (pick another --clickhouse-tcp-addr)", err)
		}
		if err != nil {
			return nil, nil, nil, nil, err
		}
		closers = append(closers, srv.Stop)
		admin, writer, reader = srv.Options("default"), srv.Options(chserver.WriterUser), srv.Options(chserver.AnalystUser)
		s.log.Info("ClickHouse server running", "addr", srv.Addr(), "dir", srv.Dir())
	} else {
		o := &clickhouse.Options{Addr: []string{s.cfg.ClickHouse}, Auth: clickhouse.Auth{Username: s.cfg.ClickHouseUser, Password: s.cfg.ClickHousePassword}, DialTimeout: 5 * time.Second}
		admin, writer, reader = o, o, o
	}
	adminConn, err := clickhouse.Open(admin)
	if err != nil {
		return srv, nil, nil, closers, err
	}
	defer adminConn.Close()
	var migrate []warehouse.MigrateOption
	if s.cfg.ClickHouseCluster != "" {
		migrate = append(migrate, warehouse.OnCluster(s.cfg.ClickHouseCluster))
	}
	applied, err := warehouse.Migrate(ctx, adminConn, s.log, migrate...)
	if err != nil {
		return srv, nil, nil, closers, err
	}
	if len(applied) > 0 {
		s.log.Info("applied ClickHouse migrations", "migrations", applied)
	}
	conn, err = clickhouse.Open(writer)
	if err != nil {
		return srv, nil, nil, closers, err
	}
	closers = append(closers, func(context.Context) error { return conn.Close() })
	analyst, err = clickhouse.Open(reader)
	if err != nil {
		return srv, conn, nil, closers, err
	}
	closers = append(closers, func(context.Context) error { return analyst.Close() })
	return srv, conn, analyst, closers, nil
}

// gokaRuntime is goka's runtime for what needs no Kafka connection: the
// local stores (gokaRuntimeAs connects as a principal).
func (s *System) gokaRuntime() gokart.Runtime {
	return gokart.New(s.cfg.dir("goka"), gokart.WithLogger(s.log), gokart.WithStores(s.stores))
}

func (s *System) startProcessors(ctx context.Context) error {
	if err := prepareLocalState(s.gokaRuntime(), bootID(), s.log); err != nil {
		return err
	}
	eventLog := newGroupLogs(s)
	s.closers = append(s.closers, eventLog.Close)
	lookups := gokart.NewLookups(s.gokaRuntime(), eventLog.EndOffsetAs)
	s.runtime = engine.New(s.sd, engine.WithLog(s.log), engine.WithEventLog(eventLog), engine.WithLookupGrace(engine.DefaultLookupGrace),
		engine.WithCatchUp(lookups.CatchUp), engine.WithTracer(s.tp), engine.WithMetrics(s.metrics), engine.WithChainKey(s.cfg.ChainKey),
		engine.WithChainSwitchForMeasurement(s.cfg.ChainSwitchForMeasurement))
	var run []*goka.GroupGraph
	for _, gg := range groups(s.runtime, s.cfg) {
		if s.cfg.runs(short(string(gg.Group()))) {
			run = append(run, gg)
		}
	}
	return s.runProcessors(ctx, run)
}

// runProcessors runs goka groups, supervised, and counts them in Ready.
// goka.NewProcessor asks the brokers about every topic of its group, one
// round trip after another: the groups are built side by side, so a
// restart waits for the slowest group, not for their sum (ADR 0016).
func (s *System) runProcessors(ctx context.Context, ggs []*goka.GroupGraph) error {
	gcs := make([]gokart.Runtime, len(ggs))
	for i, gg := range ggs {
		gc, err := s.gokaRuntimeAs(topics.GroupRole(string(gg.Group())))
		if err != nil {
			return fmt.Errorf("processor %s: %w", gg.Group(), err)
		}
		gcs[i] = gc
	}
	built := make([]*goka.Processor, len(ggs))
	errs := make([]error, len(ggs))
	var wg sync.WaitGroup
	for i, gg := range ggs {
		wg.Go(func() {
			built[i], errs[i] = goka.NewProcessor(s.brokers, gg, gcs[i].ProcessorOptions(gg.Group())...)
		})
	}
	wg.Wait()
	for i, gg := range ggs {
		if errs[i] != nil {
			return fmt.Errorf("processor %s: %w", gg.Group(), errs[i])
		}
		sp := &supervisedProcessor{graph: gg, brokers: s.brokers, gc: gcs[i], log: s.log, p: built[i]}
		s.checks = append(s.checks, check{"processor " + string(gg.Group()), sp.Recovered})
		s.metrics.WatchProcessor(string(gg.Group()), sp.Stats, sp.Recovered)
		s.goRun(ctx, "processor "+string(gg.Group()), sp.Run)
	}
	return nil
}

func (s *System) startAPI(ctx, runCtx context.Context) error {
	if !s.cfg.runs(ComponentAPI) {
		// A role without the API still answers the health probes.
		return s.serveHTTP(httpapi.Health(s.Ready, s.observability(), s.log))
	}
	// The API's own aggregate, the Idempotency-Keys, runs with the API
	// (docs/adr/0015): every API instance shares its partitions.
	if err := s.runProcessors(runCtx, idempotency.Groups(s.runtime)); err != nil {
		return err
	}
	verifier, tokens, err := s.startAuth(runCtx)
	if err != nil {
		return err
	}
	views, err := s.startViews(runCtx)
	if err != nil {
		return err
	}
	resultsOpts, err := s.kafkaClientOptsAs("results", topics.RoleAPI)
	if err != nil {
		return err
	}
	results, err := emitters.NewResults(resultsOpts, s.sd, s.log)
	if err != nil {
		return err
	}
	s.goRun(runCtx, "results", results.Run)
	s.checks = append(s.checks, check{"results", func() bool {
		select {
		case <-results.Ready():
			return true
		default:
			return false
		}
	}})
	apiRuntime, err := s.gokaRuntimeAs(topics.RoleAPI)
	if err != nil {
		return err
	}
	s.cmds, err = emitters.New(s.brokers, s.sd, results, apiRuntime.EmitterOptions()...)
	if err != nil {
		return err
	}
	cmds := s.cmds
	s.closers = append(s.closers, func(context.Context) error { cmds.Close(); return nil })

	historyOpts, err := s.kafkaClientOptsAs("history", topics.RoleAPI)
	if err != nil {
		return err
	}
	history, err := replay.New(s.sd, historyOpts...)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func(context.Context) error { history.Close(); return nil })

	book, err := analytics.NewBook(s.chAnalyst)
	if err != nil {
		return err
	}
	querier := search.NewQuerier(s.chConn)
	handler := httpapi.New(httpapi.Deps{Commands: s.cmds, Views: views, Sagas: s.clock, History: history, Search: querier, Projections: s.report, Ready: s.Ready,
		Analytics: book, Notifications: querier, Operations: &operationsReport{s: s, adm: s.metricsAdm}, Timeout: s.cfg.RequestTimeout, Log: s.log, Observability: s.observability(),
		Auth: verifier, Tokens: tokens, CustomerTokenTTL: s.cfg.Auth.CustomerTokenTTL})
	// The web console is served beside the API, at the same address
	// (docs/adr/0024): its pages call the API with the user's token.
	ui, err := console.New(console.WithLogger(s.log), console.WithTokenCommand("bin/mallbots token --data-dir "+s.cfg.DataDir))
	if err != nil {
		return err
	}
	if err := s.serveHTTP(console.Mount(handler, ui)); err != nil {
		return err
	}
	s.consoleURL = "http://" + s.httpAddr + "/"
	return nil
}

// ConsoleURL is the web console's address, "" on an instance that does
// not run the API.
func (s *System) ConsoleURL() string { return s.consoleURL }

func (s *System) serveHTTP(handler http.Handler) error {
	ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pick another --http-addr)", s.cfg.HTTPAddr, err)
	}
	s.httpAddr = ln.Addr().String()
	// ErrorLog is the system's log at ERROR. Left nil, net/http writes what
	// it reports (a failed accept, a superfluous WriteHeader) through the
	// log package, which cmd/mallbots's slog.SetDefault files at INFO, where
	// alerts on ERROR miss it. A handler's panic never gets that far: the
	// API answers it (httpapi's recoverPanics).
	s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError)}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.fail("http", err)
		}
	}()
	s.log.Info("HTTP listening", "addr", "http://"+s.httpAddr)
	return nil
}

func (s *System) startProjections(ctx context.Context) error {
	for _, p := range projections.All(s.sd) {
		if !s.cfg.runs(projectionComponent(p.Name)) {
			continue
		}
		opts, err := s.kafkaClientOptsAs("projector."+p.Name, topics.ProjectorRole(p.Group))
		if err != nil {
			return fmt.Errorf("projection %s: %w", p.Name, err)
		}
		proj, err := warehouse.NewProjector(opts, s.chConn, p,
			warehouse.WithFlushInterval(s.cfg.FlushInterval), warehouse.WithLogger(s.log), warehouse.WithTracer(s.tp))
		if err != nil {
			return fmt.Errorf("projection %s: %w", p.Name, err)
		}
		s.checks = append(s.checks, check{"projection " + p.Name, proj.Ready})
		s.projMu.Lock()
		s.projections = append(s.projections, projectionRef{p, proj})
		s.projMu.Unlock()
		s.goRun(ctx, "projection "+p.Name, proj.Run)
	}
	return nil
}

// Shutdown stops everything: the API first (no new commands), then the
// processors, views and projections (finishing in-flight batches), then
// the emitters, ClickHouse and the broker.
func (s *System) Shutdown(ctx context.Context) error {
	var errs []error
	if s.http != nil {
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.cancel != nil {
		s.cancel()
	}
	waited := make(chan struct{})
	go func() { s.wg.Wait(); close(waited) }()
	select {
	case <-waited:
		markClean(s.cfg.dir("goka"), s.log)
	case <-ctx.Done():
		errs = append(errs, errors.New("components did not stop in time"))
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
