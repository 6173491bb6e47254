package admin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/topics"
	"github.com/mallbots/mallbots/topics/admin"
)

// `mallbots topics apply` and `mallbots topics check` as an operator runs
// them: the real binary against a broker given with --brokers.

// result is one finished command.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func runMallbots(t *testing.T, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	// Flags only: no MALLBOTS_* from the developer's shell.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MALLBOTS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run mallbots %s: %v", strings.Join(args, " "), err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

func TestTopicsCommands(t *testing.T) {
	bin, err := testkit.BuildMallbots(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	all := topics.All()
	acls := topics.ACLs()

	t.Run("apply creates the catalogue, a second apply nothing, check finds no drift", func(t *testing.T) {
		_, addr := broker(t)

		first := runMallbots(t, bin, "topics", "apply", "--brokers", addr)
		if first.code != 0 {
			t.Fatalf("first apply:\n%v", first)
		}
		for _, tp := range all {
			if !strings.Contains(first.stdout, "created "+tp.Name+"\n") {
				t.Errorf("first apply does not say it created %s:\n%v", tp.Name, first)
			}
		}
		if want := fmt.Sprintf("%d created, 0 already present\n%d ACLs created, 0 already present\n", len(all), len(acls)); !strings.HasSuffix(first.stdout, want) {
			t.Errorf("first apply does not end with %q:\n%v", want, first)
		}

		second := runMallbots(t, bin, "topics", "apply", "--brokers", addr)
		if want := fmt.Sprintf("replication of the topics, every class: replication factor 1, min.insync.replicas 1\n0 created, %d already present\n0 ACLs created, %d already present\n", len(all), len(acls)); second.code != 0 || second.stdout != want {
			t.Errorf("second apply: want exit 0 and only %q:\n%v", want, second)
		}

		checked := runMallbots(t, bin, "topics", "check", "--brokers", addr)
		if want := fmt.Sprintf("all %d topics and %d ACLs match the catalogue\n", len(all), len(acls)); checked.code != 0 || checked.stdout != want {
			t.Errorf("check: want exit 0 and %q:\n%v", want, checked)
		}
	})

	t.Run("check exits non-zero and names each topic that differs", func(t *testing.T) {
		adm, addr := broker(t)
		create(t, adm, topics.Stores.Events.Name, 4, map[string]string{"retention.ms": "3600000", admin.UncleanLeaderElection: "false"})
		create(t, adm, topics.Stores.Table.Name, topics.Stores.Table.Partitions, map[string]string{"cleanup.policy": "delete"})

		applied := runMallbots(t, bin, "topics", "apply", "--brokers", addr)
		if want := fmt.Sprintf("%d created, 2 already present\n", len(all)-2); applied.code != 0 || !strings.Contains(applied.stdout, want) {
			t.Fatalf("apply around two differing topics: want exit 0 saying %q:\n%v", want, applied)
		}

		checked := runMallbots(t, bin, "topics", "check", "--brokers", addr)

		want := strings.Join([]string{
			"mallbots.stores.events: partitions is 4, the catalogue says 8",
			"mallbots.stores.events: retention.ms is 3600000, the catalogue says -1",
			"mallbots.stores-table: cleanup.policy is delete, the catalogue says compact",
		}, "\n") + "\n"
		if checked.code == 0 || checked.stdout != want {
			t.Fatalf("check: want a non-zero exit and exactly these lines:\n%s\ngot:\n%v", want, checked)
		}
		if !strings.Contains(checked.stderr, "3 differences from the catalogue") {
			t.Errorf("check does not count the differences on stderr:\n%v", checked)
		}
	})

	t.Run("on three brokers apply replicates 3 with min ISR 2, check exits non-zero on less", func(t *testing.T) {
		adm, addrs := cluster(t, 3)
		seed := strings.Join(addrs, ",")
		one := "1"
		resp, err := adm.CreateTopic(ctxFor(t), topics.Orders.Table.Partitions, 1,
			map[string]*string{"cleanup.policy": ptr("compact"), admin.MinInsyncReplicas: &one}, topics.Orders.Table.Name)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			t.Fatalf("create %s with one replica: %v", topics.Orders.Table.Name, err)
		}

		applied := runMallbots(t, bin, "topics", "apply", "--brokers", seed)
		if want := "replication of the topics, every class: replication factor 3, min.insync.replicas 2\n"; applied.code != 0 || !strings.HasPrefix(applied.stdout, want) {
			t.Fatalf("apply on three brokers: want exit 0 starting %q:\n%v", want, applied)
		}
		if got := replicasOf(t, adm, topics.Orders.Events.Name); slices.ContainsFunc(got, func(n int) bool { return n != 3 }) {
			t.Errorf("apply created %s with replicas per partition %v, want 3 each", topics.Orders.Events.Name, got)
		}

		checked := runMallbots(t, bin, "topics", "check", "--brokers", seed)

		for _, line := range []string{
			"mallbots.orders-table: replication factor is 1, the catalogue says at least 3",
			"mallbots.orders-table: min.insync.replicas is 1, the catalogue says at least 2",
		} {
			if !strings.Contains(checked.stdout, line) {
				t.Errorf("check does not say %q:\n%v", line, checked)
			}
		}
		if checked.code == 0 || !strings.Contains(checked.stderr, "2 differences from the catalogue") {
			t.Errorf("check: want a non-zero exit counting 2 differences:\n%v", checked)
		}

		// With the flags asking for one replica, that topic is no drift.
		lower := runMallbots(t, bin, "topics", "check", "--brokers", seed, "--replication-factor", "1", "--min-insync-replicas", "1")
		if want := fmt.Sprintf("all %d topics and %d ACLs match the catalogue\n", len(all), len(acls)); lower.code != 0 || lower.stdout != want {
			t.Errorf("check wanting one replica: want exit 0 and %q:\n%v", want, lower)
		}
	})

	t.Run("check on an empty broker lists every topic as missing", func(t *testing.T) {
		_, addr := broker(t)

		checked := runMallbots(t, bin, "topics", "check", "--brokers", addr)

		if checked.code == 0 {
			t.Fatalf("check on an empty broker exits 0:\n%v", checked)
		}
		for _, tp := range all {
			if line := tp.Name + ": missing (run `mallbots topics apply`)\n"; !strings.Contains(checked.stdout, line) {
				t.Errorf("check does not say %q:\n%v", line, checked)
			}
		}
		if got := strings.Count(checked.stdout, "\nacl missing: "); got != len(acls) {
			t.Errorf("check names %d missing ACLs, the catalogue has %d:\n%v", got, len(acls), checked)
		}
	})
}

func ptr(s string) *string { return &s }
