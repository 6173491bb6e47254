package main_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/app/httpapi"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/platform/kafkaauth"
	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/topics"
)

// These tests start `mallbots run` as a separate process, as a user does,
// and drive it through its HTTP API, a Kafka client and ClickHouse SQL.

var binary string

func TestMain(m *testing.M) { testkit.MainWithMallbots(m, &binary) }

// instance is one `mallbots run` process.
type instance struct {
	t                         *testing.T
	cmd                       *exec.Cmd
	dataDir                   string
	http, kafka, registry, ch string
	logPath                   string
	args                      []string // more flags for `mallbots run`
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startInstance starts a `mallbots run` with args as more flags, on free
// ports, and waits until it is ready.
func startInstance(t *testing.T, args ...string) *instance {
	chtest.RequireBinary(t)
	in := &instance{t: t, dataDir: t.TempDir(), http: freePort(t), kafka: freePort(t), registry: freePort(t), ch: freePort(t), args: args}
	in.start()
	return in
}

// start runs the process and waits for /readyz to answer 200.
func (in *instance) start() {
	t := in.t
	t.Helper()
	in.logPath = filepath.Join(in.dataDir, fmt.Sprintf("run-%d.log", time.Now().UnixNano()))
	logf, err := os.Create(in.logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--log-level", "debug", "run", "--data-dir", in.dataDir, "--http-addr", in.http,
		"--kafka-addr", in.kafka, "--registry-addr", in.registry, "--clickhouse-tcp-addr", in.ch}, in.args...)
	in.cmd = exec.Command(binary, args...)
	in.cmd.Stdout, in.cmd.Stderr = logf, logf
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if in.cmd.ProcessState == nil {
			_ = in.cmd.Process.Kill()
			_ = in.cmd.Wait()
		}
		if t.Failed() {
			in.dumpLog()
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get("http://" + in.http + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mallbots did not become ready within 90s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (in *instance) dumpLog() {
	f, err := os.Open(in.logPath)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 80 {
		lines = lines[len(lines)-80:]
	}
	in.t.Logf("last lines of %s:\n%s", in.logPath, strings.Join(lines, "\n"))
}

// countLog counts the lines of the current process's log that contain s.
func (in *instance) countLog(s string) int {
	b, err := os.ReadFile(in.logPath)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), s)
}

func (in *instance) kill9() {
	in.t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		in.t.Fatal(err)
	}
	_ = in.cmd.Wait()
}

func (in *instance) stop() {
	in.t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		in.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- in.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			in.t.Fatalf("mallbots did not exit cleanly on SIGTERM: %v", err)
		}
	case <-time.After(60 * time.Second):
		in.t.Fatal("mallbots did not stop within 60s of SIGTERM")
	}
}

// credentialsDir is where the instance's embedded broker keeps its
// principals' passwords.
func (in *instance) credentialsDir() string { return filepath.Join(in.dataDir, "credentials", "kafka") }

// kafkaAs are the options of a client of the instance's broker as the
// principal of role (the broker enforces the catalogue's ACLs).
func (in *instance) kafkaAs(role string) []kgo.Opt {
	in.t.Helper()
	creds, err := kafkaauth.LoadCredentials(in.credentialsDir())
	if err != nil {
		in.t.Fatal(err)
	}
	auth, err := creds.As(kafkaauth.Config{}, topics.PrincipalName(role))
	if err != nil {
		in.t.Fatal(err)
	}
	return append([]kgo.Opt{kgo.SeedBrokers(in.kafka)}, auth.KgoOpts()...)
}

// api is a client of the instance's API as the operator, with a token
// `mallbots token` signs from the instance's data directory.
func (in *instance) api() testkit.API {
	return testkit.API{T: in.t, Base: "http://" + in.http, Token: in.token("--role", "operator"), Transport: checkedAPI}
}

// checkedAPI checks every exchange of api's clients against the API's
// OpenAPI document (docs/adr/0025-openapi-contract.md).
var checkedAPI = func() http.RoundTripper {
	c, err := testkit.NewContract(httpapi.OpenAPI())
	if err != nil {
		panic(err)
	}
	return c.Transport(nil)
}()

// token runs `mallbots token` with args on the instance's data directory.
func (in *instance) token(args ...string) string {
	in.t.Helper()
	out, err := exec.Command(binary, append([]string{"token", "--data-dir", in.dataDir}, args...)...).Output()
	if err != nil {
		in.t.Fatalf("mallbots token %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// clickhouse connects to the instance's ClickHouse until the test ends.
func (in *instance) clickhouse() driver.Conn {
	in.t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{in.ch}})
	if err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() { conn.Close() })
	return conn
}

func TestKillMinus9LosesNothingAcknowledged(t *testing.T) {
	in := startInstance(t)

	// Writers create stores with ids they choose, as fast as they can, until
	// 1,000 creations are acknowledged; then the process is killed with
	// requests still in flight.
	const want = 1000
	var (
		acked   sync.Map
		nAcked  atomic.Int64
		stop    = make(chan struct{})
		stopped sync.Once
		wg      sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	token := in.token("--role", "operator")
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := uuid.NewString()
				body := fmt.Sprintf(`{"id":%q,"name":"Store %s","location":"Level 1"}`, id, id[:8])
				req, _ := http.NewRequest(http.MethodPost, "http://"+in.http+"/api/stores", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					return // the process is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					acked.Store(id, true)
					if nAcked.Add(1) >= want {
						stopped.Do(func() { close(stop) })
					}
				}
			}
		}()
	}
	<-stop
	in.kill9()
	wg.Wait()
	var ids []string
	acked.Range(func(k, _ any) bool { ids = append(ids, k.(string)); return true })
	t.Logf("killed with -9 after %d acknowledged creations", len(ids))

	in.start()
	t.Logf("after restart: %d redelivered commands reconciled with the event log", in.countLog("redelivered command"))
	// The machine did not restart: the views and the processors' copies of
	// other tables were kept, and must still answer for every store.
	if in.countLog("the copies of other tables and the views are kept") != 1 {
		t.Fatal("the restart after kill -9 did not keep the copies of other tables and the views (docs/adr/0005)")
	}
	a := in.api()
	for _, id := range ids {
		r := a.Do("GET", "/api/stores/"+id, nil)
		if r.Status != http.StatusOK || r.N("version") != 1 {
			t.Fatalf("acknowledged store %s after restart: %d %s", id, r.Status, r.Raw)
		}
	}

	// The event log: every acknowledged creation once.
	counts := eventsPerAggregate(t, in, topics.Stores.Events.Name)
	var missing, duplicated int
	for _, id := range ids {
		switch n := counts[id]; {
		case n == 0:
			missing++
		case n > 1:
			duplicated++
		}
	}
	t.Logf("event log: %d aggregates, %d acknowledged missing, %d duplicated", len(counts), missing, duplicated)
	if missing > 0 || duplicated > 0 {
		t.Fatalf("the event log lost %d and doubled %d acknowledged creations", missing, duplicated)
	}

	// ClickHouse: one current row and one event per acknowledged store.
	conn := in.clickhouse()
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		var stores, events, distinctEvents uint64
		err1 := conn.QueryRow(context.Background(), "SELECT count() FROM mallbots.stores FINAL WHERE has(?, id)", ids).Scan(&stores)
		err2 := conn.QueryRow(context.Background(), "SELECT count(), uniqExact(event_id) FROM mallbots.events FINAL WHERE has(?, aggregate_id)", ids).Scan(&events, &distinctEvents)
		return err1 == nil && err2 == nil && stores == uint64(len(ids)) && events == uint64(len(ids)) && distinctEvents == uint64(len(ids)),
			fmt.Sprintf("ClickHouse: %d store rows, %d events (%d distinct) for %d acknowledged (%v %v)", stores, events, distinctEvents, len(ids), err1, err2)
	})
	in.stop()
}

// eventsPerAggregate counts the records of an event topic per key.
func eventsPerAggregate(t *testing.T, in *instance, topic string) map[string]int {
	t.Helper()
	cl, err := kgo.NewClient(append(in.kafkaAs(topics.RoleVerify), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	counts := map[string]int{}
	idle := 0
	for idle < 3 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()
		n := 0
		fetches.EachRecord(func(r *kgo.Record) { counts[string(r.Key)]++; n++ })
		if n == 0 {
			idle++
		} else {
			idle = 0
		}
	}
	return counts
}

// A participant that never answers: the payments processor is not running,
// so ConfirmPayment gets no reply; the saga sends it again at each deadline,
// then gives up, compensates and rejects the order with the reason.
func TestASagaStepWithoutAReplyRejectsTheOrderAfterTheTimeout(t *testing.T) {
	// A request timeout below the default 5 s, so that the payment nobody
	// handles answers 202 sooner; not 1 s, so that a write whose lookup
	// waits for a copy of a table to catch up (ADR 0008) under the full
	// suite's load still gets its 201 rather than a 202.
	in := startInstance(t, "--components", "all,-payments", "--saga-step-timeout", "2s", "--request-timeout", "3s")
	a := in.api()
	customer := a.Do("POST", "/api/customers", map[string]any{"name": "Late Larry", "smsNumber": "+15550101"}).Expect(t, 201).S("id")
	store := a.Do("POST", "/api/stores", map[string]any{"name": "Timeout Store", "location": "Level 1"}).Expect(t, 201).S("id")
	product := a.Do("POST", "/api/stores/"+store+"/products", map[string]any{"name": "Clock", "price": 5}).Expect(t, 201).S("id")
	basket := a.Do("POST", "/api/baskets", map[string]any{"customerId": customer}).Expect(t, 201).S("id")
	a.Do("PUT", "/api/baskets/"+basket+"/addItem", map[string]any{"productId": product, "quantity": 1}).Expect(t, 200)
	// Nobody handles payments: the authorization is accepted by Kafka only.
	payment := uuid.NewString()
	a.Do("POST", "/api/payments", map[string]any{"id": payment, "customerId": customer, "amount": 5}).Expect(t, http.StatusAccepted)
	a.Do("PUT", "/api/baskets/"+basket+"/checkout", map[string]any{"paymentId": payment}).Expect(t, 200)

	started := time.Now()
	var order testkit.Response
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		order = a.Do("GET", "/api/ordering/"+basket, nil)
		return order.S("status") == "rejected", order.Raw
	})
	if want := "no reply to ConfirmPayment within 2s, 3 times"; order.S("rejectionReason") != want {
		t.Fatalf("reason %q, want %q", order.S("rejectionReason"), want)
	}
	t.Logf("rejected %s after checkout", time.Since(started).Round(100*time.Millisecond))
	list := a.Do("GET", "/api/ordering/"+basket+"/saga", nil).Expect(t, 200).S("shoppingListId")
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		l := a.Do("GET", "/api/depot/shopping/"+list, nil)
		return l.S("status") == "canceled", l.Raw
	})
	in.stop()
}
