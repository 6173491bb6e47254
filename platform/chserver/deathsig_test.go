package chserver_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/mallbots/mallbots/platform/chserver"
	"github.com/mallbots/mallbots/platform/chserver/chtest"
)

// helperDirEnv makes the test binary act as a parent process that starts a
// server and waits to be killed (see TestHelperParent).
const helperDirEnv = "CHSERVER_TEST_HELPER_DIR"

// TestChildDiesWithKilledParent starts a server from a helper process, kills
// that process with SIGKILL, and expects the server to be gone: no orphan
// keeps the port and the data directory's lock.
func TestChildDiesWithKilledParent(t *testing.T) {
	chtest.RequireBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperParent$")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	var pid int
	var addr string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "server %d %s", &pid, &addr); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatal("helper did not report a started server")
	}
	// The helper called Start on a locked thread and reported only after
	// that thread had ended: the server must have survived it.
	ping(t, addr)

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("clickhouse-server %d still running 10s after its parent was killed", pid)
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}

	// What the killed server left in its directory does not prevent a start.
	srv, err := chserver.Start(context.Background(), dir, chserver.WithLogger(chtest.Logger(t)))
	if err != nil {
		t.Fatalf("start on the directory of the killed server: %v", err)
	}
	stop(t, srv)
}

// init pins the helper's main goroutine to the main thread, so that the
// goroutine calling Start runs on another thread: the runtime never ends
// the main thread (it parks it instead), which would hide the failure.
func init() {
	if os.Getenv(helperDirEnv) != "" {
		runtime.LockOSThread()
	}
}

// TestHelperParent is the helper process of TestChildDiesWithKilledParent;
// it does nothing in a normal run.
func TestHelperParent(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	type result struct {
		srv *chserver.Server
		tid int
	}
	started := make(chan result)
	go func() {
		// Lock and exit without unlocking: the runtime then ends this
		// thread, which would fire a Pdeathsig tied to it.
		runtime.LockOSThread()
		srv, err := chserver.Start(context.Background(), dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		started <- result{srv, syscall.Gettid()}
	}()
	r := <-started
	task := fmt.Sprintf("/proc/self/task/%d", r.tid)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(task); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "the starting goroutine's thread did not end")
			os.Exit(1)
		}
	}
	fmt.Printf("server %d %s\n", r.srv.PID(), r.srv.Addr())
	select {}
}

func ping(t testing.TB, addr string) {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Ping(context.Background()); err != nil {
		t.Fatalf("server started by the helper does not answer: %v", err)
	}
}

// alive reports whether pid is a live process; a zombie awaiting a reaper
// that never comes (a container's init may not reap) counts as dead.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}
