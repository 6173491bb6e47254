package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/chserver/chtest"
	"github.com/mallbots/mallbots/platform/testkit"
)

// `mallbots replay --projection orders` on a populated system, while it
// runs, ends with an orders table equal to the live one, row for row.
func TestReplayProjectionOrdersEndsWithTheLiveTable(t *testing.T) {
	in := startInstance(t)
	load := exec.Command(binary, "load", "--api", "http://"+in.http, "--clickhouse", in.ch, "--data-dir", in.dataDir, "--shoppers", "40", "--rate", "40", "--seed", "11")
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("mallbots load: %v\n%s", err, out)
	}
	waitForNoLag(t, in, "state")
	conn := in.clickhouse()
	before := chtest.FinalRows(t, conn, "orders")
	if len(before) < 40 {
		t.Fatalf("only %d orders before the rebuild, want at least 40", len(before))
	}

	replay := exec.Command(binary, "replay", "--projection", "orders", "--brokers", in.kafka,
		"--schema-registry", "http://"+in.registry, "--clickhouse", in.ch, "--kafka-credentials-dir", in.credentialsDir())
	out, err := replay.CombinedOutput()
	if err != nil {
		t.Fatalf("mallbots replay --projection orders: %v\n%s", err, out)
	}
	for _, want := range []string{"rebuilding state (orders) from mallbots.orders-table", "copy ", "· done", "orders: ", "swapped in"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the replay did not print %q:\n%s", want, out)
		}
	}
	t.Logf("mallbots replay --projection orders:\n%s", out)

	after := chtest.FinalRows(t, conn, "orders")
	if !slices.Equal(before, after) {
		t.Errorf("the rebuilt orders table differs from the live one: %d rows before, %d after", len(before), len(after))
	}
	var leftovers uint64
	if err := conn.QueryRow(context.Background(),
		"SELECT count() FROM system.tables WHERE database = 'mallbots' AND name LIKE 'orders\\_%'").Scan(&leftovers); err != nil || leftovers != 0 {
		t.Errorf("tables left behind by the rebuild: %d (%v)", leftovers, err)
	}
	in.stop()
}

// waitForNoLag polls GET /api/projections until the projection has no lag.
func waitForNoLag(t *testing.T, in *instance, projection string) {
	t.Helper()
	analyst := in.token("--role", "analyst")
	testkit.Eventually(t, 60*time.Second, func() (bool, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+in.http+"/api/projections", nil)
		req.Header.Set("Authorization", "Bearer "+analyst)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		var rep struct {
			Projections []struct {
				Name      string
				LagEvents int64
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
			return false, err.Error()
		}
		for _, p := range rep.Projections {
			if p.Name == projection {
				return p.LagEvents == 0, fmt.Sprintf("%s lags %d events", projection, p.LagEvents)
			}
		}
		return false, "no projection " + projection + " in the report"
	})
}
